"""Lower comprehensions: list comprehensions, and generator expressions
consumed by `sum`, `any`, `all` and a few other builtins, rewritten into the
`for` loops and `if` statements that lower_control.py and every later pass
already handle, so all modes differentiate them.

Input: a fenced FunctionDef, which may contain `[e for ... if ...]` (any
number of `for` and `if` clauses, tuple targets, comprehensions nested in any
part of another) and generator expressions passed to the calls below.

Output: the same function without comprehensions. Each one becomes statements
placed right before the statement holding it, and a name in its place:

    [e for v in it if c]     _list = []
                             for v in it:
                                 if c:
                                     _list.append(e)
    sum(e for v in it)       `_sum = 0` (or the start given), and
                             `_sum = _sum + e` in the loop: Python's sum
    any(e for ...)           `_any = False`, and `if e: _any = True; break`
    all(e for ...)           in the loop (`all` the other way round), so the
                             items after the deciding one are not evaluated
    min, max, list, tuple,   take a list comprehension instead of the
    sorted, math.fsum,       generator: they consume all of it anyway
    math.prod (generator)
    {k: v for v in it}       `_dict = {}`, and `_dict[k] = v` in the loop
    list(X), sorted(X),      the loop that builds the result, over any
    min(X), max(X),          iterable X (see `consumed`); `tuple(X)` takes
    dict(pairs)              the list `[_item for _item in X]`
    dict(X, k=v, **kw)       a dict display where X is one with constant
                             keys, else `_dict = dict(X)` and the keywords
                             written into it (see `dict_with_keywords`)
    L.sort(key=k)            `L[:] = sorted(L, key=k)`, a list's own sort
    L.sort(reverse=r)        (only lists take these keywords): the same
                             object, in the same stable order

`y = [...]` (or `y = sum(...)`, ...) builds `y` itself when the comprehension
does not read `y`, which is how the loop would be written by hand.

What stays as in Python:

    scope        a comprehension's variables are its own: a variable keeps its
                 name only when nothing else in the function (nor a global or
                 builtin) goes by that name, and is renamed otherwise (`x` ->
                 `_x`), so the function's own `x` is never read or clobbered
    evaluation   Python evaluates a comprehension once, where it stands. The
                 operands it evaluates before the comprehension in the same
                 statement (calls, indexing) are computed into temporaries
                 first, so effects keep Python's order. One Python may not
                 evaluate -- in a branch of `a if t else b`, an operand of
                 `and`/`or` after the first -- is lowered inside an `if`
                 statement that evaluates what Python evaluates (`_and = a`,
                 `if _and: _and = any(...)`). One Python evaluates repeatedly
                 or lazily elsewhere -- in a `while` test, an assert's message,
                 a lambda -- is refused with a workaround. An `elif` test is a
                 nested `if`: its comprehension goes before that `if`.
    positions    new statements carry the comprehension's file position
    (n := v)     an assignment expression binds the function's `n`, item by
                 item: moved before its statement in the loop (desugar.py's
                 rule), or refused where it cannot move

    def f(w, xs):                       def f(w, xs):
        ys = [w * x for x in xs             ys = []
              if x > 0]                     for x in xs:
        return sum(y * y for y in ys)           if x > 0:
                                                    ys.append(w * x)
                                            _sum = 0
                                            for y in ys:
                                                _sum = _sum + y * y
                                            return _sum

Names come from a Namer seeded with every name of the function. Python 3.12's
`sum` of floats compensates rounding; the lowered sum adds left to right, as
`sum` over arrays does, so results can differ in the last bits.

Place in the pipeline: after the fence, which lets list comprehensions and
generator expressions through, and before lower_control, which turns these
loops into index loops and their `break`s into flags.
"""

from __future__ import annotations

import builtins
import itertools
import math
from dataclasses import dataclass, field

import gast

from .. import nodes
from ..runtime import effects as runtime_effects
from ..runtime import python_builtins as runtime_builtins
from ..errors import UnsupportedSyntaxError
from ..naming import Namer
from ..source import ParsedFunction
from .census import Census, called_object
from .desugar import assignment_expressions_first
from .fence import REJECTED

_COMPREHENSIONS = (gast.ListComp, gast.GeneratorExp)
_WHAT = {gast.ListComp: "list comprehensions", gast.GeneratorExp: "generator expressions"}
# Builtins a generator expression reduces with a loop of its own.
_REDUCTIONS = ("sum", "any", "all")
# Callables that consume the whole iterable they get, in order, whatever its type.
_CONSUMERS = (list, tuple, sorted, min, max, math.fsum, math.prod)
# Builtins of one iterable written as the loop that builds their result.
_BUILT_BY_LOOPS = ((list, "list"), (sorted, "sorted"), (min, "min"), (max, "max"),
                   (dict, "dict"))
# The keywords each of them takes.
_OPTIONS = {"list": set(), "dict": set(), "sorted": {"key", "reverse"},
            "min": {"key", "default"}, "max": {"key", "default"}}
_TAKES_GENERATORS = "sum(), any(), all(), min(), max(), list(), tuple(), sorted(), " \
    "math.fsum() and math.prod()"

# Positions where Python evaluates an expression lazily or more than once:
# (where, why hoisting is wrong there, what to write instead).
_LAZY = {
    "while": ("a while loop's test", "Python evaluates the test before every iteration",
              "assign the comprehension to a variable on its own line before the loop and "
              "again at the end of its body, and test the variable"),
    "ifexp": ("a branch of a conditional expression (a if t else b)",
              "Python evaluates a branch only when it is taken",
              "write an if statement, and in its branch assign the comprehension to a "
              "variable on its own line first"),
    "boolop": ("an operand of 'and'/'or' after the first",
               "Python evaluates it only when the operands before it do not decide the result",
               "write an if statement, and inside it assign the comprehension to a variable "
               "on its own line first"),
    "assert": ("an assert's message", "Python evaluates the message only when the assertion "
               "fails", "assign the comprehension to a variable on its own line first"),
    "lambda": ("a lambda", "Python evaluates a lambda's body at every call",
               "define the function with def, and inside it assign the comprehension to a "
               "variable on its own line first"),
}


@dataclass(frozen=True)
class _Slot:
    """Where an expression sits: `parent.field`, or `parent.field[index]`."""

    parent: gast.AST
    field: str
    index: int | None = None

    def get(self):
        value = getattr(self.parent, self.field)
        return value if self.index is None else value[self.index]

    def set(self, node) -> None:
        if self.index is None:
            setattr(self.parent, self.field, node)
        else:
            getattr(self.parent, self.field)[self.index] = node


@dataclass
class _Statement:
    """What lowering one statement has found so far."""

    before: list = field(default_factory=list)  # statements to place before it
    done: list = field(default_factory=list)    # slots of operands already evaluated
    spills: int = 0                              # how often `done` was spilled


def _operands(node):
    """Slots of the expressions directly inside `node`, in the order Python
    evaluates them."""
    if isinstance(node, gast.Dict):
        for index in range(len(node.keys)):
            yield _Slot(node, "keys", index)
            yield _Slot(node, "values", index)
        return
    order = {gast.Assign: ("value", "targets"), gast.AnnAssign: ("value", "target"),
             gast.For: ("iter", "target")}.get(type(node), node._fields)
    for name in order:
        if name == "annotation":
            continue  # annotations of local variables are never evaluated
        value = getattr(node, name)
        if isinstance(value, list):
            yield from (_Slot(node, name, index) for index, item in enumerate(value)
                        if isinstance(item, (gast.expr, gast.keyword, gast.Slice)))
        elif isinstance(value, (gast.expr, gast.keyword, gast.Slice)):
            yield _Slot(node, name)


def _lazy(parent, slot: _Slot) -> str | None:
    if isinstance(parent, gast.While) and slot.field == "test":
        return "while"
    if isinstance(parent, gast.IfExp) and slot.field != "test":
        return "ifexp"
    if isinstance(parent, gast.BoolOp) and slot.index:
        return "boolop"
    if isinstance(parent, gast.Assert) and slot.field == "msg":
        return "assert"
    if isinstance(parent, gast.Lambda) and slot.field == "body":
        return "lambda"
    return None


def _holds_comprehension(node) -> bool:
    return any(isinstance(inner, _COMPREHENSIONS) for inner in nodes.walk(node))


def _dict_view(node) -> bool:
    """Whether `node` is a call `d.values()`, `d.keys()` or `d.items()`."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        node.func.attr in ("values", "keys", "items") and not node.args and not node.keywords


def _value(node) -> bool:
    """Whether `node` is a value of its own that a temporary can hold (not a
    slice, an f-string part or an assignment target)."""
    return isinstance(node, gast.expr) and not isinstance(node, gast.FormattedValue) and \
        not isinstance(getattr(node, "ctx", None), gast.Store)


def _order_matters(node) -> bool:
    """Whether evaluating `node` earlier or later can change its value or its
    effects: only calls and indexing can (names and constants cannot change
    while one statement is evaluated)."""
    return any(isinstance(n, (gast.Call, gast.Subscript)) for n in nodes.walk(node))


def _display_pairs(node):
    """[(key, value)] of a dict display without `**`, or of a list or tuple
    display of two-item tuple displays; else None."""
    if isinstance(node, gast.Dict):
        return None if any(k is None for k in node.keys) else list(zip(node.keys, node.values))
    if isinstance(node, (gast.List, gast.Tuple)) and all(
            isinstance(e, gast.Tuple) and len(e.elts) == 2 and
            not any(isinstance(i, gast.Starred) for i in e.elts) for e in node.elts):
        return [(e.elts[0], e.elts[1]) for e in node.elts]
    return None


def _repeats_a_key(node) -> bool:
    """Whether `node` is a dict display of constant keys, one of them repeated."""
    if not isinstance(node, gast.Dict) or not all(
            isinstance(k, gast.Constant) for k in node.keys):
        return False
    return len({k.value for k in node.keys}) < len(node.keys)


def _display_value_slots(node) -> list:
    """The slots of the values of what `_display_pairs` reads pairs from."""
    if isinstance(node, gast.Dict):
        return [_Slot(node, "values", i) for i in range(len(node.values))]
    return [_Slot(e, "elts", 1) for e in node.elts]


def _targets(comp) -> list:
    names = [n.id for g in comp.generators for n in nodes.walk(g.target)
             if isinstance(n, gast.Name)]
    return list(dict.fromkeys(names))


def _bound(comp, name: str) -> list:
    """The Name nodes in `comp` that are its variable `name`. The first
    iterable is evaluated outside the comprehension's scope."""
    first, *rest = comp.generators
    parts = [g.target for g in comp.generators] + [test for g in comp.generators
                                                   for test in g.ifs]
    parts += [g.iter for g in rest] + [comp.elt]
    return [n for part in parts for n in _uses(part, name)]


def _uses(node, name: str) -> list:
    if isinstance(node, gast.Name):
        return [node] if node.id == name else []
    if isinstance(node, _COMPREHENSIONS) and name in _targets(node):
        return _uses(node.generators[0].iter, name)  # a nested comprehension's own
    return [n for child in gast.iter_child_nodes(node) for n in _uses(child, name)]


class _Lowering:
    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed
        tree = parsed.tree
        names = [n for n in nodes.walk(tree) if isinstance(n, gast.Name)]
        self.namer = Namer(n.id for n in names)
        bound = {id(n) for comp in nodes.walk(tree) if isinstance(comp, _COMPREHENSIONS)
                 for var in _targets(comp) for n in _bound(comp, var)}
        free = [n for n in names if id(n) not in bound]
        self.outside = {n.id for n in free}  # names used other than as a comprehension's
        self.locals = {n.id for n in free if isinstance(n.ctx, (gast.Store, gast.Param))}
        self.enclosing: frozenset = frozenset()  # names kept by the comprehensions around
        # Generator expressions that become lists: the nodes, not their ids, which
        # a node made after a lowered generator is freed may reuse.
        self.as_list: set = set()
        # Dict comprehensions, rewritten up front into list comprehensions of
        # (key, value) pairs (so scopes and evaluation order are handled alike),
        # which build a dict.
        self.as_dict: set = set()
        self.options: dict = {}  # comprehension -> keywords of the call consuming it
        for node in list(nodes.walk(tree)):
            for slot in _operands(node):
                comp = slot.get()
                if isinstance(comp, gast.DictComp):
                    pairs = nodes.copy_location(gast.ListComp(
                        elt=nodes.tuple_([comp.key, comp.value]), generators=comp.generators),
                        comp)
                    slot.set(pairs)
                    self.as_dict.add(pairs)

    # -- statements -------------------------------------------------------
    def block(self, stmts) -> list:
        return [new for stmt in stmts for new in self.statement(stmt)]

    def statement(self, stmt) -> list:
        state = _Statement()
        built = self.built_variable(stmt)
        if built:
            self.visit(_Slot(stmt, "value"), state, result=built)
            return state.before  # the loops assign the variable themselves
        chosen = self.chosen_variable(stmt)
        if chosen:
            self.conditional(_Slot(stmt, "value"), state, result=chosen)
            return state.before  # the branches assign the variable themselves
        self.operands(stmt, state)
        for name in ("body", "orelse"):
            if hasattr(stmt, name):
                setattr(stmt, name, self.block(getattr(stmt, name)))
        return state.before + [stmt]

    def built_variable(self, stmt) -> str | None:
        """`y` for `y = <comprehension>` (or a reduction of one) not reading `y`."""
        if not isinstance(stmt, (gast.Assign, gast.AnnAssign)):
            return None
        target = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target
        value = stmt.value
        if not isinstance(target, gast.Name) or not (
                isinstance(value, gast.ListComp) or self.reduction(value)):
            return None
        reads = {n.id for n in nodes.walk(value) if isinstance(n, gast.Name)}
        return None if target.id in reads else target.id

    def chosen_variable(self, stmt) -> str | None:
        """`y` for `y = a or [...]` (or `y = b if t else sum(...)`) whose
        comprehension `conditional` lowers, not reading `y`: the branches assign
        `y` itself (a list they build is then not handed to a second name)."""
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)
                and self.needs_branches(stmt.value)):
            return None
        reads = {n.id for n in nodes.walk(stmt.value) if isinstance(n, gast.Name)}
        return None if stmt.targets[0].id in reads else stmt.targets[0].id

    @staticmethod
    def needs_branches(node) -> bool:
        """Whether `node` is `a and b`, `a or b` or `b if t else c` with a
        comprehension where Python may not evaluate it."""
        return isinstance(node, (gast.BoolOp, gast.IfExp)) and any(
            _lazy(node, inner) and _holds_comprehension(inner.get())
            for inner in _operands(node))

    # -- expressions, in evaluation order ---------------------------------
    def operands(self, node, state: _Statement) -> None:
        for slot in _operands(node):
            lazy = _lazy(node, slot)
            if lazy:
                self.refuse_inside(slot.get(), lazy)
            elif isinstance(node, gast.Call) and slot.field == "func":
                # The callee stays as written: rules and array methods are
                # found by the call's spelling.
                self.operands(slot.get(), state)
            else:
                self.visit(slot, state)

    def visit(self, slot: _Slot, state: _Statement, result: str | None = None) -> None:
        if self.dict_with_keywords(slot, state):
            return
        node = slot.get()
        if _repeats_a_key(node) and self.joined_display(
                slot, state, node.keys, _display_value_slots(node)):
            return
        self.displays(slot)
        node = slot.get()
        reduction = self.reduction(node)
        if reduction:
            kind, comp, start = reduction
            self.lower(kind, comp, slot, state, start, result)
        elif node in self.as_dict:
            self.lower("dict", node, slot, state, None, result)
        elif isinstance(node, gast.ListComp) or node in self.as_list:
            self.lower("list", node, slot, state, None, result)
        elif isinstance(node, gast.GeneratorExp):
            raise UnsupportedSyntaxError(
                f"generator expressions outside {_TAKES_GENERATORS} are not supported "
                f"by adcompiler", self.parsed.location(node),
                help="Instead: use a list comprehension [...] (NumPy functions such as "
                "np.stack need a list anyway).")
        elif self.needs_branches(node):
            self.conditional(slot, state)
        else:
            if isinstance(node, gast.Call) and len(node.args) == 1 and isinstance(
                    node.args[0], gast.GeneratorExp) and self.consumes(node.func):
                self.as_list.add(node.args[0])
            mark, spills = len(state.done), state.spills
            self.operands(node, state)
            if not _value(node):
                return  # its operands stay the values evaluated so far
            del state.done[0 if state.spills != spills else mark:]
        state.done.append(slot)

    def conditional(self, slot: _Slot, state: _Statement, result: str | None = None) -> None:
        """`a and any(...)`, `a or [...]`, `b if t else sum(...)`: a comprehension
        Python evaluates only when the operands before it do not decide the
        result. The expression becomes an `if` statement before its statement,
        which evaluates the operands in Python's order and only those Python
        evaluates, and assigns the result to a variable (`_and = a`,
        `if _and: _and = any(...)`; `if t: _choice = b else: _choice = sum(...)`),
        so the comprehension is lowered inside the branch that evaluates it."""
        node = slot.get()
        if isinstance(node, gast.IfExp):
            variable = result or self.namer.fresh("_choice")
            self.visit(_Slot(node, "test"), state)
            self.spill(state)
            decide = nodes.if_(node.test, [nodes.assign(variable, node.body)],
                               [nodes.assign(variable, node.orelse)])
            stmts = [decide]
        else:
            conjunction = isinstance(node.op, gast.And)
            variable = result or self.namer.fresh("_and" if conjunction else "_or")
            self.visit(_Slot(node, "values", 0), state)
            self.spill(state)
            body: list = []
            for value in reversed(node.values[1:]):
                # Python goes on to the next operand while the value so far is
                # true (and) or false (or), and gives the last value it read.
                undecided = nodes.name(variable) if conjunction else \
                    nodes.unary_not(nodes.name(variable))
                body = [nodes.if_(undecided, [nodes.assign(variable, value)] + body)]
            stmts = [nodes.assign(variable, node.values[0])] + body
        state.before += self.block([nodes.located(s, node) for s in stmts])
        if result is None:
            slot.set(nodes.copy_location(nodes.name(variable), node))

    def spill(self, state: _Statement) -> None:
        """Evaluate into temporaries what Python evaluates before the
        comprehension in its statement, except the last of it: the
        comprehension's first iterable (or sum's start), evaluated right before
        the loops anyway."""
        for slot in state.done[:-1]:
            node = slot.get()
            if _order_matters(node):
                temp = self.namer.temp()
                state.before.append(nodes.located(nodes.assign(temp, node), node))
                slot.set(nodes.copy_location(nodes.name(temp), node))
        state.done.clear()
        state.spills += 1

    def refuse_inside(self, node, lazy: str) -> None:
        for inner in nodes.walk(node):
            if isinstance(inner, _COMPREHENSIONS):
                where, why, instead = _LAZY[lazy]
                raise UnsupportedSyntaxError(
                    f"{_WHAT[type(inner)]} inside {where} are not supported by adcompiler",
                    self.parsed.location(inner),
                    help=f"A comprehension is computed once, before the statement holding "
                    f"it, but {why}. Instead: {instead}.")

    def dict_with_keywords(self, slot: _Slot, state: _Statement) -> bool:
        """`dict(X, k=v, **kw)`, X's entries updated by the keywords (autograd's
        `dict([("a", x)], b=x)`): a list or tuple display of pairs, or a dict
        display, with constant keys joins the display (`{"a": x, "b": x}`:
        the same evaluation order and result; a repeated key is written once,
        where it first stands, with its last value, as Python's dict
        keeps it, when dropping the earlier value changes no evaluation order);
        any other X
        is copied, `_dict = dict(X)`, and each keyword written into the copy
        in order, after X and the values are evaluated, as Python does. A
        `**kw` is read key by key (TypeError for a key that is not a string or
        that is also named, as Python's). True when the call was written so."""
        node = slot.get()
        if not (isinstance(node, gast.Call) and len(node.args) == 1 and node.keywords and
                not isinstance(node.args[0], gast.Starred) and self.callee(node.func) is dict):
            return False
        unpacked = [k for k in node.keywords if k.arg is None]
        arg = node.args[0]
        pairs = _display_pairs(arg)
        if pairs is not None and not unpacked:
            keys = [k for k, _ in pairs] + [nodes.const(k.arg) for k in node.keywords]
            values = _display_value_slots(arg) + [_Slot(k, "value") for k in node.keywords]
            if not all(isinstance(k, gast.Constant) for k in keys):
                return False
            return self.joined_display(slot, state, keys, values)
        if len(unpacked) > 1 or isinstance(arg, _COMPREHENSIONS) or \
                (not unpacked and self.pairs(arg)):
            return False  # (dict(zip(k, v), b=w) stays: refused by dict's rule)
        self.operands(node, state)   # X and the values, in Python's order
        self.spill(state)
        last = node.keywords[-1]
        if _order_matters(last.value):
            temp = self.namer.temp()
            state.before.append(nodes.located(nodes.assign(temp, last.value), last.value))
            last.value = nodes.copy_location(nodes.name(temp), last.value)
        variable = self.namer.fresh("_dict")
        stmts = [nodes.assign(variable, nodes.call(node.func, [arg]))]
        named = [k.arg for k in node.keywords if k.arg is not None]
        for keyword in node.keywords:
            if keyword.arg is not None:
                stmts.append(self.entry_write(variable, nodes.const(keyword.arg), keyword.value))
                continue
            key = self.namer.fresh("_key")
            checks = [nodes.if_(nodes.unary_not(nodes.call(
                nodes.name("isinstance"), [nodes.name(key), nodes.name("str")])),
                [nodes.raise_(nodes.call(nodes.name("TypeError"),
                                         [nodes.const("keywords must be strings")]))])]
            if named:
                checks.append(nodes.if_(
                    nodes.compare(nodes.name(key), gast.In(),
                                  nodes.tuple_([nodes.const(n) for n in named])),
                    [nodes.raise_(nodes.call(nodes.name("TypeError"), [nodes.const(
                        "dict() got multiple values for a keyword argument")]))]))
            stmts.append(nodes.for_(key, keyword.value, checks + [self.entry_write(
                variable, nodes.name(key),
                nodes.subscript(nodes.clone(keyword.value), nodes.name(key)))]))
        state.before += [nodes.located(s, node) for s in stmts]
        slot.set(nodes.copy_location(nodes.name(variable), node))
        state.done.append(slot)
        return True

    def joined_display(self, slot: _Slot, state: _Statement, keys: list, values: list) -> bool:
        """The dict display of constant `keys` and the values in `values`
        (slots) in `slot`, a repeated key written once, where it first
        stands, with its last value, as Python's dict keeps it (the adjoint
        of a display goes to every entry of a key). True when its values were
        evaluated here (into temporaries, in order: dropping a repeated key's
        earlier value would otherwise change the order of evaluation)."""
        node = slot.get()
        display = nodes.parse_expr("{}")
        kept = {}   # key -> (first key node, last value slot)
        for key, value in zip(keys, values):
            kept[key.value] = (kept.get(key.value, (key,))[0], value)
        evaluated = len(kept) < len(keys) and any(_order_matters(v.get()) for v in values)
        if evaluated:
            for value in values:
                self.visit(value, state)
            self.spill(state)
            if _order_matters(values[-1].get()):
                temp = self.namer.temp()
                state.before.append(nodes.located(nodes.assign(temp, values[-1].get()), node))
                values[-1].set(nodes.copy_location(nodes.name(temp), node))
        display.keys = [key for key, _ in kept.values()]
        display.values = [value.get() for _, value in kept.values()]
        slot.set(nodes.copy_location(display, node))
        if evaluated:
            state.done.append(slot)
        return evaluated

    @staticmethod
    def entry_write(variable: str, key, value) -> gast.Assign:
        write = nodes.assign(nodes.subscript(nodes.name(variable), key), value)
        write.targets[0].ctx = gast.Store()
        return write

    # -- comprehensions ---------------------------------------------------
    def displays(self, slot: _Slot) -> None:
        """What a display writes directly: `tuple([a, b])` is `(a, b)`, `list((a,
        b))` is `[a, b]`, `dict(a=u, b=v)` is `{'a': u, 'b': v}`; and the iterable of
        `tuple(X)` becomes a list comprehension, so that tuple() takes a list."""
        node = slot.get()
        if not isinstance(node, gast.Call) or any(
                isinstance(a, gast.Starred) for a in node.args) or len(node.args) > 1:
            return
        callee = self.callee(node.func)
        if callee is dict and not node.args and all(k.arg for k in node.keywords):
            display = nodes.parse_expr("{}")
            display.keys = [nodes.const(k.arg) for k in node.keywords]
            display.values = [k.value for k in node.keywords]
            slot.set(nodes.copy_location(display, node))
            return
        if node.keywords or len(node.args) != 1 or not (callee is tuple or callee is list):
            return
        arg = node.args[0]
        if isinstance(arg, (gast.List, gast.Tuple)) and not any(
                isinstance(e, gast.Starred) for e in arg.elts):
            display = nodes.tuple_(arg.elts) if callee is tuple else nodes.list_(arg.elts)
            slot.set(nodes.copy_location(display, node))
        elif callee is tuple:
            node.args[0] = self.comprehension(arg)

    def comprehension(self, iterable, pairs: bool = False):
        """`iterable` as the list comprehension `[_item for _item in iterable]`
        (of `(_key, _value)` for `pairs`); a comprehension stays itself."""
        if isinstance(iterable, _COMPREHENSIONS):
            return iterable
        mapped = self.mapped(iterable)
        if mapped is not None:
            return mapped
        if _dict_view(iterable):
            # d.values() as a list with a rule: the items of a dict's view carry
            # its derivative, those of another object's none.
            view_items = next((n for n, f in self.parsed.bound.items()
                               if f is runtime_builtins.view_items), None) or \
                self.namer.fresh("view_items")
            self.parsed.bound[view_items] = runtime_builtins.view_items
            iterable = nodes.copy_location(nodes.call(nodes.name(view_items), [
                iterable.func.value, nodes.const(iterable.func.attr)]), iterable)
        names = [self.namer.fresh("_key"), self.namer.fresh("_value")] if pairs \
            else [self.namer.fresh("_item")]
        target = nodes.tuple_([nodes.name(n, "store") for n in names], "store") if pairs \
            else nodes.name(names[0], "store")
        element = nodes.tuple_([nodes.name(n) for n in names]) if pairs \
            else nodes.name(names[0])
        generator = gast.comprehension(target=target, iter=iterable, ifs=[], is_async=0)
        return nodes.copy_location(gast.ListComp(elt=element, generators=[generator]), iterable)

    def mapped(self, node):
        """`map(f, xs)` (of the builtin, read at once by what consumes it) as
        the comprehension `[f(x) for x in xs]`; `map(lambda v: body, xs)` as
        `[body for v in xs]`, and several iterables through zip; so are
        `filter(f, xs)`, `[x for x in xs if f(x)]`, and `itertools.chain(a,
        b)`, `[x for part in (a, b) for x in part]` (its iterables evaluated
        first, as chain's arguments are). Else None."""
        if isinstance(node, gast.Call) and not node.keywords and \
                not any(isinstance(a, gast.Starred) for a in node.args):
            callee = self.callee(node.func)
            if callee is builtins.filter and len(node.args) == 2:
                return self.filtered(node)
            if callee is itertools.chain and node.args:
                part, item = self.namer.fresh("_part"), self.namer.fresh("_item")
                parts = gast.comprehension(
                    target=nodes.name(part, "store"), iter=nodes.copy_location(
                        nodes.tuple_(list(node.args)), node), ifs=[], is_async=0)
                items = gast.comprehension(target=nodes.name(item, "store"),
                                           iter=nodes.name(part), ifs=[], is_async=0)
                return nodes.copy_location(gast.ListComp(elt=nodes.name(item),
                                                         generators=[parts, items]), node)
        if not (isinstance(node, gast.Call) and len(node.args) >= 2 and not node.keywords
                and isinstance(node.func, gast.Name) and node.func.id == "map"
                and self.callee(node.func) is builtins.map
                and not any(isinstance(a, gast.Starred) for a in node.args)):
            return None
        func, iterables = node.args[0], node.args[1:]
        if len(iterables) > 1 and ("zip" in self.locals or
                                   self.callee(nodes.name("zip")) is not builtins.zip):
            return None
        lambda_args = func.args if isinstance(func, gast.Lambda) else None
        if lambda_args is not None and not (
                len(lambda_args.args) == len(iterables) and not lambda_args.defaults and
                not lambda_args.posonlyargs and not lambda_args.kwonlyargs and
                lambda_args.vararg is None and lambda_args.kwarg is None):
            return None  # refused where the lambda is, as any other
        names = [p.id for p in lambda_args.args] if lambda_args is not None else \
            [self.namer.fresh("_item") for _ in iterables]
        element = func.body if lambda_args is not None else nodes.call(
            func, [nodes.name(n) for n in names])
        targets = [nodes.name(n, "store") for n in names]
        target = targets[0] if len(targets) == 1 else nodes.tuple_(targets, "store")
        iterable = iterables[0] if len(iterables) == 1 else nodes.copy_location(
            nodes.call(nodes.name("zip"), list(iterables)), node)
        generator = gast.comprehension(target=target, iter=iterable, ifs=[], is_async=0)
        return nodes.copy_location(gast.ListComp(elt=element, generators=[generator]), node)

    def spelled_out(self, generator) -> list:
        """A comprehension's `for v in itertools.chain(a, b)` as `for _part in
        (a, b) for v in _part`, and `for v in filter(f, xs)` as `for v in xs if
        f(v)` (a lambda called where it is written), before its own ifs."""
        iterable = generator.iter
        if not (isinstance(iterable, gast.Call) and not iterable.keywords and
                not any(isinstance(a, gast.Starred) for a in iterable.args)):
            return [generator]
        callee = self.callee(iterable.func)
        if callee is itertools.chain and iterable.args:
            part = self.namer.fresh("_part")
            first = gast.comprehension(target=nodes.name(part, "store"), iter=nodes.copy_location(
                nodes.tuple_(list(iterable.args)), iterable), ifs=[], is_async=0)
            generator.iter = nodes.copy_location(nodes.name(part), iterable)
            return [first] + self.spelled_out(generator)
        if callee is builtins.filter and len(iterable.args) == 2 and \
                isinstance(generator.target, gast.Name):
            func, generator.iter = iterable.args
            item = nodes.name(generator.target.id)
            test = item if nodes.is_none(func) else nodes.copy_location(
                nodes.call(func, [item]), func)
            generator.ifs = [test] + generator.ifs
            return self.spelled_out(generator)
        return [generator]

    def generated(self, node) -> bool:
        """A call of a generator the function defines, which sum() reads as a
        loop over it (inline_generators.py inlines it there)."""
        return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and any(
            isinstance(stmt, gast.FunctionDef) and stmt.name == node.func.id and
            any(isinstance(n, gast.Yield) for n in nodes.walk(stmt))
            for stmt in self.parsed.tree.body)

    def accumulates(self, node) -> bool:
        """`itertools.accumulate(...)`, which sum() reads as a loop over it."""
        return isinstance(node, gast.Call) and \
            self.callee(node.func) is itertools.accumulate

    def filtered(self, node):
        """`filter(f, xs)` as `[x for x in xs if f(x)]`, `filter(lambda v: c,
        xs)` as `[v for v in xs if c]`, `filter(None, xs)` as `[x for x in xs
        if x]`; a lambda of another signature stays (refused where it is)."""
        func, iterable = node.args
        if isinstance(func, gast.Lambda):
            args = func.args
            if not (len(args.args) == 1 and not args.defaults and not args.posonlyargs and
                    not args.kwonlyargs and args.vararg is None and args.kwarg is None):
                return None
            name, test = args.args[0].id, func.body
        else:
            name = self.namer.fresh("_item")
            test = nodes.name(name) if nodes.is_none(func) else \
                nodes.call(func, [nodes.name(name)])
        generator = gast.comprehension(target=nodes.name(name, "store"), iter=iterable,
                                       ifs=[test], is_async=0)
        return nodes.copy_location(gast.ListComp(elt=nodes.name(name),
                                                 generators=[generator]), node)

    def consumed(self, node):
        """(kind, comprehension, None) for `list(X)`, `sorted(X)`, `min(X)`,
        `max(X)` and `dict(pairs)` of the builtins, X any iterable, and for
        `min(a, b, c)`, `max(a, b, key=f)`: each is written as the loop that
        builds its result (see `loops`). `sorted` takes `key=` and
        `reverse=`, `min` and `max` take `key=` and `default=` (kept in
        `self.options` for `loops`); two values and no keyword stay a call,
        which has a rule."""
        if not node.args or any(isinstance(a, gast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            return None
        callee = self.callee(node.func)
        kind = next((k for f, k in _BUILT_BY_LOOPS if callee is f), None)
        if kind is None or {k.arg for k in node.keywords} - _OPTIONS[kind]:
            return None
        if len(node.args) > 1:
            if kind not in ("min", "max") or (len(node.args) == 2 and not node.keywords) \
                    or any(k.arg == "default" for k in node.keywords):
                return None  # min(a, b) has a rule; min(a, b, default=...) is a TypeError
            node.args = [nodes.copy_location(nodes.list_(node.args), node.args[0])]
        arg = node.args[0]
        if kind == "dict":
            if isinstance(arg, _COMPREHENSIONS):
                if not (isinstance(arg.elt, gast.Tuple) and len(arg.elt.elts) == 2):
                    return None
            elif not self.pairs(arg):
                return None  # dict(d) copies a mapping: it stays a call
        node.args[0] = self.comprehension(arg, pairs=kind == "dict")
        self.options[node.args[0]] = {k.arg: k.value for k in node.keywords}
        return kind, node.args[0], None

    def pairs(self, node) -> bool:
        """Whether `node` certainly iterates (key, value) pairs, not a mapping."""
        if isinstance(node, (gast.List, gast.Tuple)):
            return all(isinstance(e, gast.Tuple) and len(e.elts) == 2 for e in node.elts)
        if isinstance(node, gast.Call):
            if isinstance(node.func, gast.Attribute) and node.func.attr == "items" \
                    and not node.args:
                return True
            callee = self.callee(node.func)
            return callee is zip or callee is enumerate
        return False

    def reduction(self, node):
        """(kind, comprehension, start slot) for `sum(<comprehension>[, start])`,
        `any(<generator>)` and `all(<generator>)` of the builtins, and for the
        calls `consumed` writes as loops; else None."""
        if isinstance(node, gast.Call) and node.args:
            consumed = self.consumed(node)
            if consumed is not None:
                return consumed
            if (_dict_view(node.args[0]) or self.mapped(node.args[0]) is not None or
                    self.accumulates(node.args[0]) or self.generated(node.args[0])) and \
                    isinstance(node.func, gast.Name) and node.func.id == "sum" and \
                    self.callee(node.func) is builtins.sum:
                # sum(d.values()) reads the view once, as sum(list(d.values())) does;
                # sum(map(f, xs)) is sum([f(x) for x in xs]); sum(accumulate(xs))
                # a loop over it (lower_itertools.py keeps its running total).
                node.args[0] = self.comprehension(node.args[0])
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
                and node.func.id in _REDUCTIONS and node.args
                and isinstance(node.args[0], _COMPREHENSIONS)
                and self.callee(node.func) is getattr(builtins, node.func.id)):
            return None
        kind, args, keywords = node.func.id, node.args, node.keywords
        if kind == "sum":
            # sum([...]) adds what the list would hold, in the same order.
            if len(args) == 1 and not keywords:
                return kind, args[0], None
            if len(args) == 2 and not keywords:
                return kind, args[0], _Slot(node, "args", 1)
            if len(args) == 1 and [k.arg for k in keywords] == ["start"]:
                return kind, args[0], _Slot(keywords[0], "value")
            return None
        # any([...]) evaluates every item before deciding: it stays a list.
        if len(args) == 1 and not keywords and isinstance(args[0], gast.GeneratorExp):
            return kind, args[0], None
        return None

    def lower(self, kind: str, comp, slot: _Slot, state: _Statement, start, result) -> None:
        comp.generators = [part for generator in comp.generators
                           for part in self.spelled_out(generator)]
        self.visit(_Slot(comp.generators[0], "iter"), state)
        if start is not None:
            self.visit(start, state)
        self.spill(state)
        kept = self.scope(comp)
        variable = result or self.namer.fresh("_" + kind)
        stmts = [nodes.located(s, comp) for s in self.loops(kind, comp, variable, start)]
        # (n := v) in the comprehension binds the function's n, item by item
        stmts = assignment_expressions_first(self.parsed, stmts, self.namer)
        outer, self.enclosing = self.enclosing, self.enclosing | kept
        state.before += self.block(stmts)  # comprehensions inside this one
        self.enclosing = outer
        if result is None:
            slot.set(nodes.copy_location(nodes.name(variable), comp))

    def scope(self, comp) -> frozenset:
        """Rename the comprehension's variables that another part of the
        function could see; return the names kept."""
        kept = set()
        for var in _targets(comp):
            if var in self.outside or var in self.enclosing or self.parsed.lookup(var)[0]:
                new = self.namer.fresh("_" + var.lstrip("_"))
                for use in _bound(comp, var):
                    use.id = new
            else:
                kept.add(var)
        return frozenset(kept)

    def loops(self, kind: str, comp, variable: str, start) -> list:
        stop = None
        options = self.options.get(comp, {})
        prelude = []
        if "key" in options:
            # The key function is bound to a name first: a lambda is then a
            # local function, which inline_local.py puts at each call.
            key = self.namer.fresh("_key_function")
            prelude.append(nodes.assign(key, options["key"]))
        if kind == "sorted":
            # sorted(X): the list of X's items, then its items in the order
            # Python's sort gives (stable, by `<`, of the keys if a key is
            # given), read one by one.
            items, order, index = (self.namer.fresh(n) for n in ("_items", "_order", "_i"))
            sorted_order = self.namer.fresh("sorted_order")
            self.parsed.bound[sorted_order] = runtime_builtins.sorted_order
            compared = items
            if "key" in options:
                compared, item = self.namer.fresh("_keys"), self.namer.fresh("_item")
                prelude += self.loops("list", comp, items, None) + [
                    nodes.assign(compared, nodes.list_()),
                    nodes.for_(item, nodes.name(items), [nodes.expr_stmt(nodes.call(
                        nodes.attribute(nodes.name(compared), "append"),
                        [nodes.call(nodes.name(key), [nodes.name(item)])]))])]
            else:
                prelude += self.loops("list", comp, items, None)
            reverse = [options["reverse"]] if "reverse" in options else []
            return prelude + [
                nodes.assign(order, nodes.call(nodes.name(sorted_order),
                                               [nodes.name(compared)] + reverse)),
                nodes.assign(variable, nodes.list_()),
                nodes.for_(index, nodes.name(order), [nodes.expr_stmt(nodes.call(
                    nodes.attribute(nodes.name(variable), "append"),
                    [nodes.subscript(nodes.name(items), nodes.name(index))]))])]
        if kind == "list":
            append = nodes.attribute(nodes.name(variable), "append")
            init = nodes.list_()
            body = [nodes.expr_stmt(nodes.call(append, [comp.elt]))]
        elif kind == "dict":
            init = nodes.parse_expr("{}")
            key, value = comp.elt.elts
            body = []
            if _order_matters(key) and _order_matters(value):
                # Python evaluates a dict comprehension's key first, and an
                # assignment's value before its target.
                evaluated = self.namer.fresh("_key")
                body.append(nodes.assign(evaluated, key))
                key = nodes.name(evaluated)
            body.append(nodes.assign(nodes.subscript(nodes.name(variable), key), value))
            body[-1].targets[0].ctx = gast.Store()
        elif kind in ("min", "max"):
            # Python's max keeps the first item and replaces it by each later one
            # that compares greater (`>`; min: `<`); an empty iterable is an error.
            # With key=f the keys are compared, and the item kept.
            first, item = self.namer.fresh("_first"), self.namer.fresh("_item")
            init = nodes.const(True)
            take = [nodes.assign(variable, nodes.name(item))]
            score, best = item, variable
            body = [nodes.assign(item, comp.elt)]
            if "key" in options:
                score, best = self.namer.fresh("_score"), self.namer.fresh("_best")
                body.append(nodes.assign(score, nodes.call(nodes.name(key), [nodes.name(item)])))
                take.append(nodes.assign(best, nodes.name(score)))
            larger = nodes.compare(nodes.name(score), gast.Gt() if kind == "max" else gast.Lt(),
                                   nodes.name(best))
            body.append(nodes.if_(nodes.name(first), take + [nodes.assign(first, nodes.const(False))],
                                  [nodes.if_(larger, [nodes.clone(s) for s in take])]))
            empty = [nodes.assign(variable, options["default"])] if "default" in options else \
                [nodes.raise_(nodes.call(nodes.name("ValueError"),
                                         [nodes.const(f"{kind}() arg is an empty sequence")]))]
            loops = self.nest(comp, body, None)
            return prelude + [nodes.assign(first, init)] + loops + [
                nodes.if_(nodes.name(first), empty)]
        elif kind == "sum":
            init = nodes.const(0) if start is None else start.get()
            body = [nodes.assign(variable, nodes.add(nodes.name(variable), comp.elt))]
        else:
            decided = kind == "any"  # the item value that decides the result

            def truth(expr):
                return expr if decided else nodes.unary_not(expr)

            init = nodes.const(not decided)
            body = [nodes.if_(truth(comp.elt),
                              [nodes.assign(variable, nodes.const(decided)), gast.Break()])]
            stop = nodes.if_(truth(nodes.name(variable)), [gast.Break()])
        return [nodes.assign(variable, init)] + self.nest(comp, body, stop)

    @staticmethod
    def nest(comp, body: list, stop) -> list:
        """`body` inside the comprehension's `for` loops and `if`s."""
        for depth in reversed(range(len(comp.generators))):
            generator = comp.generators[depth]
            for test in reversed(generator.ifs):
                body = [nodes.if_(test, body)]
            body = [nodes.for_(generator.target, generator.iter, body)]
            if stop is not None and depth > 0:
                body.append(nodes.clone(stop))  # leave the enclosing loop as well
        return body

    # -- what a name refers to --------------------------------------------
    def callee(self, func):
        """The object a call's function refers to, if it is a global or builtin."""
        return called_object(self.parsed, self.locals, func)

    def consumes(self, func) -> bool:
        callee = self.callee(func)
        return any(callee is consumer for consumer in _CONSUMERS)


def lower_comprehensions(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    """Rewrite the comprehensions of `parsed.tree` into loops (see the module docstring)."""
    # (The census tells whether a statement sorts by keyword: the rewriter
    # walks every node, a tenth of the pass on a long function: issue #13.)
    if census is None or any(n.__class__ is gast.Expr and _sorts_by_keyword(n.value)
                             for n in census.everything):
        sorting = _SortedInPlace(parsed)
        sorting.visit(parsed.tree)
        if sorting.rewrote and census is not None:
            census.forget()   # (a statement was replaced)
    if not _lowers_something(parsed, census or Census(parsed.tree)):
        return parsed
    if census is not None:
        census.forget()
    parsed.tree.body = _Lowering(parsed).block(parsed.tree.body)
    left = next((n for n in nodes.walk(parsed.tree) if isinstance(n, gast.NamedExpr)), None)
    if left is not None:  # the fence let it through for this pass to move
        what, help = REJECTED[gast.NamedExpr]
        raise UnsupportedSyntaxError(f"{what} are not supported by adcompiler",
                                     parsed.location(left), help="Instead: " + help)
    return parsed


class _SortedInPlace(gast.NodeTransformer):
    """`L.sort(key=k, reverse=r)` as the statements `check_sorted_list(L, where);
    L[:] = sorted(L, key=k, reverse=r)`: a list's sort (arrays take neither keyword) keeps the list
    object and puts its items in the order sorted() gives, calling the key
    once per item, as sorted() does. The slice write is an in-place update
    aliasing.py follows, and sorted() is lowered as above."""

    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed
        self.rewrote = False   # whether a statement was replaced

    def visit_Expr(self, stmt):
        call = stmt.value
        if not _sorts_by_keyword(call):
            return stmt
        name = call.func.value.id
        # Only a list sorts so: any other object's own sort (a user class's)
        # is refused where it runs, never replaced by the list's.
        check = gast.Expr(value=gast.Call(
            func=self.parsed.reference(runtime_effects.check_sorted_list),
            args=[nodes.name(name), nodes.const(self.parsed.location(stmt).file_line)],
            keywords=[]))
        ordered = gast.Call(func=self.parsed.reference(sorted),
                            args=[nodes.name(name)], keywords=call.keywords)
        whole = gast.Subscript(value=nodes.name(name), slice=nodes.slice_(), ctx=gast.Store())
        write = gast.Assign(targets=[whole], value=ordered, type_comment=None)
        self.rewrote = True
        return [nodes.located(check, stmt), nodes.located(write, stmt)]


def _sorts_by_keyword(call) -> bool:
    """`L.sort(key=k)`, `L.sort(reverse=r)` or both, on a name."""
    return isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and \
        call.func.attr == "sort" and isinstance(call.func.value, gast.Name) and \
        not call.args and bool(call.keywords) and \
        all(k.arg in ("key", "reverse") for k in call.keywords)


# Every callable whose calls this pass may rewrite (displays, reductions,
# consumers, map), found by identity as `_Lowering.callee` finds them.
_REWRITTEN_CALLEES = (dict, tuple, list, sorted, min, max, builtins.sum, builtins.any,
                      builtins.all, builtins.map, builtins.filter, itertools.chain,
                      itertools.accumulate, math.fsum, math.prod)


def _lowers_something(parsed: ParsedFunction, census: Census) -> bool:
    """Whether the function holds a comprehension, or a call of a callable
    this pass rewrites: most do not (and no generated code differentiated
    again does), and one walk tells, instead of the lowering's several."""
    for node in census.everything:
        if isinstance(node, (gast.ListComp, gast.GeneratorExp, gast.DictComp)) or \
                _repeats_a_key(node):
            return True
    # Without comprehensions every name is free, as in `_Lowering.locals`.
    return any(any(function is f for f in _REWRITTEN_CALLEES)
               for _, function in census.callees(parsed))
