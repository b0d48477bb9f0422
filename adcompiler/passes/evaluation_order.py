"""Python's order of evaluation for calls whose bodies are inlined.

local_objects.py and inline_local.py replace a call by its body, which runs
before the statement holding the call. Python evaluates the statement's
operands left to right, so an operand it evaluates before the call must not
see what the call changes (an attribute it assigns, an element it writes):

    y = L[0] + push()       ->      operand = L[0]
                                    y = operand + push()      (push inlined later)

`Spill` computes such operands into variables of their own first, in order.
A name needs none (an inlined body never rebinds the caller's names), but
for those a local function declares `nonlocal` (`rebound`). The
operands are those of expressions Python evaluates left to right, the first
operand of `and`/`or` and the test of `a if t else b` (what follows them may
not run, and a call there is refused), and the targets of an assignment or
`del` (`x[f()] = v` evaluates v first, then the target). `*(a, b)` and a slice
are no values: their parts are spilled.
"""

from __future__ import annotations

import gast

from .. import nodes
from ..errors import UnsupportedSyntaxError
from ..naming import Namer
from ..source import ParsedFunction


def plain(expr) -> bool:
    """A name or a constant: what it holds cannot be changed by a call's body
    run before it (and a call's body reading it reads what the call passed)."""
    return isinstance(expr, gast.Name) or constant(expr)


def constant(expr) -> bool:
    """A number, a string, a tuple of them, or a signed number."""
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.USub, gast.UAdd)):
        expr = expr.operand
    return nodes.is_atom(expr) and not isinstance(expr, gast.Name)


def _refuse(parsed: ParsedFunction, node, what: str, instead: str):
    raise UnsupportedSyntaxError(f"{what}: not supported by adcompiler", parsed.location(node),
                                 help="Instead: " + instead)


# Expressions whose operands Python evaluates each once, left to right.
_STRICT = (gast.BinOp, gast.UnaryOp, gast.Call, gast.Subscript, gast.Attribute, gast.Tuple,
           gast.List, gast.Dict, gast.Starred, gast.keyword, gast.Compare, gast.JoinedStr,
           gast.FormattedValue, gast.Slice)


class Spill:
    """Python evaluates a statement's operands left to right, but inline_local
    runs a method's body before the statement holding the call. An operand
    Python evaluates before a method call, which the call could change (an
    attribute it assigns, an element of an array it updates in place), is
    first computed into a variable of its own, in order, so that it holds what
    Python's operand holds (a name needs none: a method cannot rebind it):

        y = s.h * s.step(x)     ->     s_h_before = s.h
                                       y = s_h_before * s.step(x)

    `s.h += s.step(x)` reads s.h first: `s_h_before = s.h; s_h_before +=
    s.step(x); s.h = s_h_before`, which is Python's `__iadd__` of the old object."""

    def __init__(self, parsed: ParsedFunction, calls: set, objects: set, namer: Namer,
                 on_read=None, callee: str = "a method of an object the function creates",
                 rebound: frozenset = frozenset()):
        self.parsed = parsed
        # Names the calls' bodies may bind again (a local function's `nonlocal`
        # names): an operand naming one is held like any other value.
        self.rebound = rebound
        self.calls = calls        # ids of the calls whose bodies run before their statement
        self.objects = objects    # the objects' names (local_objects.py), else empty
        self.namer = namer
        self.on_read = on_read    # told of each attribute read this adds (AugAssign)
        self.callee = callee      # what the calls call, for messages

    def fixed(self, expr) -> bool:
        """`plain(expr)`, and not a name the calls bind again."""
        return plain(expr) and not (isinstance(expr, gast.Name) and expr.id in self.rebound)

    def has_call(self, node) -> bool:
        return any(id(n) in self.calls for n in nodes.walk(node))

    def block(self, stmts: list) -> list:
        out: list = []
        for stmt in stmts:
            if isinstance(stmt, (gast.If, gast.While, gast.For)):
                if isinstance(stmt, gast.If):
                    stmt.test = self.frozen(stmt.test, out)
                if isinstance(stmt, gast.For):
                    stmt.iter = self.frozen(stmt.iter, out)
                stmt.body = self.block(stmt.body)
                stmt.orelse = self.block(stmt.orelse)
            elif isinstance(stmt, gast.Assign) and any(map(self.has_call, stmt.targets)):
                self.assigned(stmt, out)
            elif isinstance(stmt, gast.Delete) and any(map(self.has_call, stmt.targets)):
                if len(stmt.targets) > 1:  # Python deletes each before the next's operands
                    _refuse(self.parsed, stmt, f"{self.callee} called in one of several "
                            "targets of a del statement", "delete one element per statement.")
                target = stmt.targets[0]
                if isinstance(target, gast.Subscript) and not self.fixed(target.value) and \
                        self.has_call(target.slice):
                    # The list would be deleted from through a second name.
                    _refuse(self.parsed, stmt, f"del of an element of an attribute or "
                            f"element whose index calls {self.callee}", "compute the index "
                            "on a line of its own first: i = s.i + s.bump(); del s.items[i].")
                stmt.targets[0] = self.frozen(target, out)
            elif isinstance(stmt, gast.AugAssign) and self.has_call(stmt.target):
                # Python evaluates the target's operands (x[s.idx()]) before the
                # value, and reads the element once: both after the call's body.
                if self.has_call(stmt.value):
                    self.augmented(stmt, out)  # refuses an element or attribute target
                stmt.target = self.frozen(stmt.target, out)
            elif isinstance(stmt, gast.AugAssign) and self.has_call(stmt.value) and \
                    not (isinstance(stmt.target, gast.Name) and
                         stmt.target.id not in self.rebound):
                stmt = self.augmented(stmt, out)
            elif isinstance(stmt, (gast.Assign, gast.AnnAssign, gast.Return, gast.Expr,
                                   gast.AugAssign)) and stmt.value is not None:
                stmt.value = self.frozen(stmt.value, out)
            elif isinstance(stmt, gast.Assert):
                stmt.test = self.frozen(stmt.test, out)
            elif isinstance(stmt, gast.Raise) and stmt.exc is not None:
                stmt.exc = self.frozen(stmt.exc, out)
            out.append(stmt)
        return out

    def assigned(self, stmt, out: list) -> None:
        """`x[s.idx()] = v`: Python evaluates v first, then the target's operands,
        so v is computed into a variable before the call's body runs."""
        target = stmt.targets[0]
        if len(stmt.targets) > 1 or not isinstance(target, (gast.Subscript, gast.Attribute)):
            # Python assigns each target before evaluating the next one's operands.
            _refuse(self.parsed, stmt, f"{self.callee} called in one of several "
                    "assignment targets (a = x[f()] = v, or x[f()], y = t)",
                    "call it on a line of its own first: i = f(); x[i] = v.")
        value = self.frozen(stmt.value, out)
        stmt.value = value if self.fixed(value) else self.spilled(value, out)
        stmt.targets[0] = self.frozen(target, out)

    def augmented(self, stmt, out: list):
        target = stmt.target
        if isinstance(target, gast.Name):
            # `total += bump(v)` of a name bump rebinds: Python reads total first.
            before = self.namer.fresh("operand")
            out.append(nodes.located(nodes.assign(before, nodes.name(target.id)), stmt))
            value = self.frozen(stmt.value, out)
            out.append(nodes.located(gast.AugAssign(
                target=nodes.copy_location(nodes.name(before, "store"), stmt), op=stmt.op,
                value=value), stmt))
            return nodes.located(nodes.assign(target.id, nodes.name(before)), stmt)
        if not (isinstance(target, gast.Attribute) and isinstance(target.value, gast.Name)
                and target.value.id in self.objects):
            _refuse(self.parsed, stmt, "an augmented assignment into an element "
                    "(x[i] += ...) or an attribute of another object whose value calls "
                    f"{self.callee}", "make the call on a line of its own first: "
                    "v = s.step(x); x[i] += v.")
        read = nodes.copy_location(nodes.attribute(nodes.name(target.value.id), target.attr),
                                   target)
        if self.on_read is not None:
            self.on_read(read)
        before = self.namer.fresh(f"{target.value.id}_{target.attr.strip('_')}_before")
        out.append(nodes.located(nodes.assign(before, read), stmt))
        value = self.frozen(stmt.value, out)
        out.append(nodes.located(gast.AugAssign(
            target=nodes.copy_location(nodes.name(before, "store"), stmt), op=stmt.op,
            value=value), stmt))
        return nodes.located(nodes.assign(target, nodes.name(before)), stmt)

    def frozen(self, node, out: list):
        """`node`, its operands that Python evaluates before a method call in it
        computed into variables first (appended to `out`)."""
        if not self.has_call(node):
            return node
        # Python evaluates only the first operand of 'and'/'or' and the test of
        # 'a if t else b' for sure, first: a call elsewhere in them is refused
        # (inline_local._deferred, local_objects), so what precedes a call is
        # inside those.
        if isinstance(node, gast.BoolOp):
            node.values[0] = self.frozen(node.values[0], out)
            return node
        if isinstance(node, gast.IfExp):
            node.test = self.frozen(node.test, out)
            return node
        if not isinstance(node, _STRICT):
            return node
        if isinstance(node, gast.Compare) and len(node.ops) > 1 and \
                any(self.has_call(c) for c in node.comparators[1:]):
            _refuse(self.parsed, node, f"{self.callee} called in a chained comparison "
                    "(Python may not call it)",
                    "call it on a line of its own first, or compare with 'and'.")
        slots = self.slots(node)
        with_call = [i for i, slot in enumerate(slots) if self.has_call(slot_value(slot))]
        for index, slot in enumerate(slots[:with_call[-1] + 1] if with_call else ()):
            child = self.frozen(slot_value(slot), out)
            if index < with_call[-1]:
                child = self.settled(child, out)
            set_slot(slot, child)
        return node

    def settled(self, child, out: list):
        """`child`, an operand Python evaluates before the call, as a name or
        constant. `*(a, b)` and a slice `lo:hi` are no values: their parts are."""
        if self.fixed(child) or isinstance(child, gast.Lambda):
            return child
        if isinstance(child, gast.Starred):
            if not isinstance(child.value, (gast.Tuple, gast.List)):
                _refuse(self.parsed, child, f"unpacking '*' a value before a call of "
                        f"{self.callee} in the same expression (Python unpacks it before "
                        "the call changes it)", "make the call on a line of its own first, "
                        "or unpack a tuple display: f(*(a, b), g()).")
            child.value.elts = [self.settled(e, out) for e in child.value.elts]
            return child
        if isinstance(child, gast.FormattedValue):
            # `{v:.3f}` of an f-string is no value either: `v` is (its format
            # spec is text, unless it holds a field of its own).
            child.value = self.settled(child.value, out)
            if child.format_spec is not None:
                child.format_spec.values = [self.settled(part, out)
                                            for part in child.format_spec.values]
            return child
        if isinstance(child, gast.Slice):
            for field_name in ("lower", "upper", "step"):
                part = getattr(child, field_name)
                if part is not None:
                    setattr(child, field_name, self.settled(part, out))
            return child
        return self.spilled(child, out)

    def spilled(self, child, out: list):
        if isinstance(child, gast.Attribute) and isinstance(child.value, gast.Name) and \
                child.value.id in self.objects:
            base = f"{child.value.id}_{child.attr.strip('_')}_before"
        else:
            base = "operand"
        name = self.namer.fresh(base)
        out.append(nodes.located(nodes.assign(name, child), child))
        return nodes.copy_location(nodes.name(name), child)

    def slots(self, node) -> list:
        """(node, field, index) of each operand, in the order Python evaluates them."""
        if isinstance(node, gast.Call):
            func = node.func
            # A callee named by a name or a module's attribute cannot change; a
            # method of an object is the call itself.
            static = all(isinstance(n, (gast.Name, gast.Attribute, gast.expr_context))
                         for n in nodes.walk(func))
            out = [] if static or id(node) in self.calls else [(node, "func", None)]
            out += [(node, "args", i) for i in range(len(node.args))]
            return out + [(keyword, "value", None) for keyword in node.keywords]
        if isinstance(node, gast.Dict):
            return [slot for i in range(len(node.keys))
                    for slot in ((node, "keys", i), (node, "values", i))]
        fields = {gast.BinOp: ("left", "right"), gast.UnaryOp: ("operand",),
                  gast.Subscript: ("value", "slice"), gast.Attribute: ("value",),
                  gast.Tuple: ("elts",), gast.List: ("elts",), gast.Starred: ("value",),
                  gast.keyword: ("value",), gast.Compare: ("left", "comparators"),
                  gast.JoinedStr: ("values",), gast.FormattedValue: ("value",),
                  gast.Slice: ("lower", "upper", "step")}[type(node)]
        out = []
        for field_name in fields:
            value = getattr(node, field_name)
            if isinstance(value, list):
                out += [(node, field_name, i) for i in range(len(value))]
            elif value is not None:
                out.append((node, field_name, None))
        return out


def slot_value(slot):
    """The node in a slot `(parent, field, index)`: `parent.field`, or
    `parent.field[index]` (lower_mapping.py uses these slots too)."""
    owner, field_name, index = slot
    value = getattr(owner, field_name)
    return value if index is None else value[index]


def set_slot(slot, child) -> None:
    """Put `child` in the slot `(parent, field, index)`."""
    owner, field_name, index = slot
    if index is None:
        setattr(owner, field_name, child)
    else:
        getattr(owner, field_name)[index] = child


def lazily_evaluated(stmt) -> list:
    """The nodes of `stmt`'s own expressions that Python may not evaluate every
    time the statement runs (or evaluates again: a while test): what a pass
    may not compute once before the statement (lower_dict_methods.py,
    lower_defaultdict.py)."""
    found: list = []
    if isinstance(stmt, gast.While):
        found += list(nodes.walk(stmt.test))
    for expr in own_expressions(stmt):
        for node in nodes.walk(expr):
            if isinstance(node, gast.BoolOp):
                for value in node.values[1:]:
                    found += list(nodes.walk(value))
            elif isinstance(node, gast.IfExp):
                found += list(nodes.walk(node.body)) + list(nodes.walk(node.orelse))
            elif isinstance(node, gast.Lambda):
                found += list(nodes.walk(node.body))
    return found


def own_expressions(stmt) -> list:
    """The expressions of `stmt` itself, not of the statements it holds."""
    out = []
    for field, value in gast.iter_fields(stmt):
        if field in ("body", "orelse", "finalbody", "handlers", "cases"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, gast.AST):
                out.append(item)
    return out
