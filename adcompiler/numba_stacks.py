"""The stack protocol of generated derivative code, rewritten for numba
(numba_backend.py): one `_stack` list holding values of every type becomes
stacks numba can type.

Generated code records with `_stack.append(v)` and restores with
`v = _stack.pop()`; a `while` loop pushes its trip count (`range(_stack.pop())`
reverses it) and an `if` its branch (`if _stack.pop():`); a user function's
recording primal pushes its state onto the caller's stack
(`rhs_primal(_stack, y)`) and its adjoint pops it (`rhs_adjoint(_stack, d)`).
Sorting the pushes by what they record keeps every pop meeting its push,
since each sub-sequence of a last-in first-out sequence is one too:

    _stack.append(s)             _stack_s.append(s)         (or _floats[_nfloats] = s;
    s = _stack.pop()             s = _stack_s.pop()             _nfloats = _nfloats + 1)
    _stack.append(True)          _stack_control.append(1)
    _t1 = rhs_primal(_stack, y)  _t1, _state = rhs_primal(y); _stack_calls_rhs_primal.append(_state)
    rhs_adjoint(_stack, d)       rhs_adjoint(_stack_calls_rhs_primal.pop(), d)

A label recorded once, outside loops and branches, is kept in a local
(`_saved_s`) instead. With `kinds` (the element types numba inferred for the
lists), numbers and tuples of numbers go on the typed arrays `_floats` and
`_ints`, with a check for room before each run of pushes; a loop whose
iterations push a bounded number of entries is checked outside its body
(before a `for` loop, around a `while` loop), so that numba does not count
references to the stack on every iteration.
"""

from __future__ import annotations

import builtins
import re
import types

import gast

from . import nodes
from .errors import NumbaBackendError

# The label of the stack that holds branch flags and loop trip counts.
_CONTROL = "control"
# The typed stack an entry of each kind goes on (booleans as 0 and 1).
_STACK_OF = {"f": "floats", "i": "ints", "b": "ints"}


def is_generated(obj) -> bool:
    return isinstance(obj, types.FunctionType) and \
        obj.__code__.co_filename.startswith("<adcompiler")


def element_kinds(numba, element):
    """(kinds of the entries, whether a tuple) for a number or a tuple of
    numbers (None-able ones included: the None is a placeholder never
    read), None for anything else."""
    types_ = numba.core.types
    if isinstance(element, types_.Optional):
        element = element.type

    def scalar(t):
        if isinstance(t, types_.Boolean):
            return "b"
        if isinstance(t, types_.Integer):
            return "i"
        if isinstance(t, types_.Float):
            return "f"
        return None
    if scalar(element):
        return (scalar(element),), False
    if isinstance(element, types_.BaseTuple) and len(element) and \
            all(scalar(t) for t in element):
        return tuple(scalar(t) for t in element), True
    return None


class StackRewrite:
    """Rewrite one generated function's stack protocol into typed stacks (see
    the module docstring). `role` is "top" (a grad/vjp function: the stack is
    local), "primal" (a callee's recording primal: returns its state) or
    "adjoint" (takes the state its primal returned)."""

    def __init__(self, tree, role: str, frees: dict, translation, layout,
                 kinds: dict):
        self.tree, self.role, self.frees = tree, role, frees
        self.translation, self.layout, self.kinds = translation, layout, kinds
        self.labels: list = []      # what this function records, one label per stack
        self.pending: list = []     # statements a typed pop needs before its statement
        self.segment: dict = {}     # typed stack -> slots pushed since the last check
        self.checks: set = set()    # ids of the room checks made
        self.bound = nodes.names_stored(tree) | set(nodes.parameters(tree))
        self.used = nodes.names_loaded(tree) | self.bound
        self.stack = self._stack_name()
        self.names: dict = {}   # (kind, label) -> variable name

    def _stack_name(self) -> str | None:
        if self.role in ("primal", "adjoint"):
            return self.tree.args.args[0].id
        for stmt in self.tree.body:
            if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.List) and \
                    not stmt.value.elts and stmt.targets[0].id.startswith("_stack"):
                return stmt.targets[0].id
        return None

    def _name(self, kind: str, label: str) -> str:
        key = (kind, label)
        if key not in self.names:
            prefix = {"stack": "_stack_", "saved": "_saved_", "typed": "_", "count": "_n"}[kind]
            base = re.sub(r"\W", "_", f"{prefix}{label}")
            name = base
            while name in self.used:
                name += "_"
            self.used.add(name)
            self.names[key] = name
        return self.names[key]

    # -- what is pushed and popped ------------------------------------------
    def _is_stack_call(self, node, method: str) -> bool:
        return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
            node.func.attr == method and isinstance(node.func.value, gast.Name) and \
            node.func.value.id == self.stack

    def _callee(self, node):
        """(role, generated function) when `node` calls a callee with the stack."""
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                node.args and isinstance(node.args[0], gast.Name) and \
                node.args[0].id == self.stack:
            target = self.frees.get(node.func.id)
            if is_generated(target):
                role = "adjoint" if getattr(target, "__adcompiler_primal__", None) else "primal"
                return role, target
        return None

    def _push_label(self, stmt):
        """(label, value) when `stmt` pushes onto the stack."""
        if isinstance(stmt, gast.Expr) and self._is_stack_call(stmt.value, "append"):
            value = stmt.value.args[0]
            if isinstance(value, gast.Constant):
                return _CONTROL, nodes.const(int(value.value))
            if isinstance(value, gast.Name) and re.fullmatch(r"_trips\d*", value.id):
                return _CONTROL, value
            if isinstance(value, gast.Name):
                return value.id, value
            raise NumbaBackendError("the derivative pushes an expression the numba back end "
                                    "does not know (an internal error)")
        return None

    def _labels(self):
        """{label: (pushes at top level, pushes elsewhere)} of this function."""
        counts: dict = {}

        def visit(stmts, top):
            for stmt in stmts:
                pushed = self._push_label(stmt)
                call = self._call_in(stmt)
                label = pushed[0] if pushed else (
                    self._call_label(call[1]) if call and call[0] == "primal" else None)
                if label is not None:
                    top_count, other = counts.get(label, (0, 0))
                    counts[label] = (top_count + 1, other) if top else (top_count, other + 1)
                for field in ("body", "orelse"):
                    inner = getattr(stmt, field, None)
                    if isinstance(inner, list) and not isinstance(stmt, gast.FunctionDef):
                        visit(inner, False)
        visit(self.tree.body, True)
        return counts

    def _call_in(self, stmt):
        if isinstance(stmt, (gast.Assign, gast.Expr)):
            return self._callee(stmt.value)
        return None

    def _call_label(self, generated) -> str:
        return f"calls_{self.translation.function(generated, 'primal')}"

    # -- the rewrite --------------------------------------------------------
    def run(self):
        if self.stack is None:
            return []
        counts = self._labels()
        self.labels = sorted(counts)
        self.once = {label for label, (top, other) in counts.items() if top == 1 and other == 0}
        self.kinds = {label: spec for label, spec in self.kinds.items() if label not in self.once}
        if self.role == "adjoint":
            # Which state is a saved value and which a stack is the primal's choice.
            self.once = {label for label, once in self.layout if once}
        self.tree.body = self._block(self.tree.body)
        if self.role == "top":
            return []
        if self.role == "primal":
            layout = [(label, label in self.once) for label in sorted(counts)]
            state = nodes.tuple_([nodes.name(self._name("saved" if once else "stack", label))
                                  for label, once in layout])
            self.tree.args.args = self.tree.args.args[1:]
            starts = [nodes.assign(self._name("stack", label), nodes.list_())
                      for label, once in layout if not once]
            self.tree.body = starts + [self._with_state(stmt, state)
                                       for stmt in self.tree.body]
            return layout
        state_param = self._name("saved", "state")
        self.tree.args.args[0] = nodes.name(state_param, "param")
        targets = [nodes.name(self._name("saved" if once else "stack", label), "store")
                   for label, once in self.layout]
        unpack = nodes.assign(nodes.tuple_(targets, "store"), nodes.name(state_param)) \
            if targets else gast.Pass()
        self.tree.body = [unpack] + self.tree.body
        return []

    def _with_state(self, stmt, state):
        if isinstance(stmt, gast.Return):
            return nodes.return_(nodes.tuple_([stmt.value, nodes.clone(state)]))
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                setattr(stmt, field, [self._with_state(s, state) for s in inner])
        return stmt

    def _block(self, stmts) -> list:
        """The rewritten block; before each run of typed pushes between
        compound statements, a check that the typed stacks have room for it.
        A `for` loop whose iterations push at most a known number of entries
        gets one check before it, for all its iterations, instead of one per
        iteration (`_loop_room`)."""
        out, outer, start = [], self.segment, 0
        self.segment = {}
        for stmt in stmts:
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                start = self._room(out, start)
            rewritten = self._statement(stmt)
            if isinstance(stmt, gast.For):
                out += self._loop_room(stmt)
            elif isinstance(stmt, gast.While):
                rewritten = self._while_room(stmt) or rewritten
            out += self.pending + rewritten
            self.pending = []
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                start = len(out)
        self._room(out, start)
        self.segment = outer
        return out

    def _room(self, out: list, start: int) -> int:
        out[start:start] = [self._check(stack, nodes.const(slots))
                            for stack, slots in sorted(self.segment.items())]
        self.segment = {}
        return len(out)

    def _check(self, stack: str, slots) -> gast.If:
        """`if _nfloats + slots > _floats.shape[0]: _floats = grown_stack(...)`."""
        count, typed = self._name("count", stack), self._name("typed", stack)
        needed = nodes.binop(nodes.name(count), gast.Add(), slots)
        check = nodes.if_(
            nodes.compare(needed, gast.Gt(), nodes.subscript(
                nodes.attribute(nodes.name(typed), "shape"), nodes.const(0))),
            [nodes.assign(typed, nodes.call(nodes.name("grown_stack"), [
                nodes.name(typed), nodes.clone(needed)]))])
        self.checks.add(id(check))
        return check

    def _loop_room(self, loop: gast.For) -> list:
        """For a `for` loop each of whose iterations pushes at most k entries
        on a typed stack (no inner loop pushes), the checks in its body give
        way to one before it: room for k * len(iterable). Besides a branch per
        iteration, this saves what numba does to an array variable a loop may
        rebind: a reference count taken and dropped on every iteration."""
        per_iteration = _slots(loop.body, self.count_names())
        iterable = loop.iter
        pure = isinstance(iterable, gast.Name) or (
            isinstance(iterable, gast.Call) and isinstance(iterable.func, gast.Name)
            and iterable.func.id in ("range", "reversed_range") and not iterable.keywords
            and all(isinstance(a, (gast.Name, gast.Constant)) for a in iterable.args))
        if not per_iteration or not pure or loop.orelse or not self._builtin_len():
            return []
        loop.body = self._without_checks(loop.body)
        trips = nodes.call(nodes.name("len"), [nodes.clone(iterable)])
        return [self._check(stack, nodes.clone(trips) if slots == 1 else nodes.binop(
                    nodes.const(slots), gast.Mult(), nodes.clone(trips)))
                for stack, slots in sorted(per_iteration.items())]

    def _while_room(self, loop: gast.While) -> list | None:
        """A `while` loop each of whose iterations pushes at most k entries
        runs inside a loop that makes room, as long as there is room for one
        more iteration; the checks in its body go:

            while _t1:
                if _nfloats + 2 > _floats.shape[0]:
                    _floats = grown_stack(_floats, _nfloats + 2)
                while _t1 and _nfloats + 2 <= _floats.shape[0]:
                    ...

        The inner loop stops at the start of an iteration (the test is a name
        only the body changes), so the outer one makes room and goes on where
        it stopped; the stack grows by doubling, so the outer loop runs a few
        times per call. The inner loop never rebinds the stack, which keeps it
        out of numba's reference counting (see `_loop_room`)."""
        per_iteration = _slots(loop.body, self.count_names())
        if not per_iteration or not isinstance(loop.test, gast.Name) or loop.orelse or any(
                isinstance(node, (gast.Break, gast.Continue)) for node in gast.walk(loop)):
            return None
        room = [nodes.compare(
            nodes.binop(nodes.name(self._name("count", stack)), gast.Add(), nodes.const(slots)),
            gast.LtE(), nodes.subscript(nodes.attribute(
                nodes.name(self._name("typed", stack)), "shape"), nodes.const(0)))
            for stack, slots in sorted(per_iteration.items())]
        inner = nodes.while_(gast.BoolOp(op=gast.And(), values=[nodes.clone(loop.test)] + room),
                             self._without_checks(loop.body))
        grow = [self._check(stack, nodes.const(slots))
                for stack, slots in sorted(per_iteration.items())]
        return [nodes.copy_location(nodes.while_(loop.test, grow + [inner]), loop)]

    def _builtin_len(self) -> bool:
        """Whether `len` in this function is Python's (no variable or global shadows it)."""
        return "len" not in self.bound and \
            self.translation.namespace.get("len", builtins.len) is builtins.len

    def count_names(self) -> dict:
        """{count variable: typed stack} of the typed stacks in use."""
        return {name: label for (kind, label), name in self.names.items() if kind == "count"}

    def _without_checks(self, stmts: list) -> list:
        out = []
        for stmt in stmts:
            if id(stmt) in self.checks:
                continue
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list):
                    setattr(stmt, field, self._without_checks(inner))
            out.append(stmt)
        return out

    def _typed_stacks(self) -> list:
        """Allocation of the typed stacks the kinds use: floats, ints."""
        used = sorted({_STACK_OF[k] for spec, _ in self.kinds.values() for k in spec})
        out = []
        for stack in used:
            out.append(nodes.assign(self._name("typed", stack), nodes.call(
                nodes.name("float_stack" if stack == "floats" else "int_stack"))))
            out.append(nodes.assign(self._name("count", stack), nodes.const(0)))
        return out

    def _statement(self, stmt) -> list:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.List) and \
                stmt.targets[0].id == self.stack:
            # The one stack becomes one per recorded variable (numbers share typed ones).
            return self._typed_stacks() + [
                nodes.assign(self._name("stack", label), nodes.list_())
                for label in sorted(self._labels())
                if label not in self.once and label not in self.kinds]
        if isinstance(stmt, gast.Assign) and nodes.is_none(stmt.value) and \
                isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id in self.kinds:
            # A placeholder pushed before its variable is first bound, and never
            # read: a number of its type keeps the typed stack's kind.
            spec, is_tuple = self.kinds[stmt.targets[0].id]
            zeros = [nodes.const({"f": 0.0, "i": 0, "b": False}[k]) for k in spec]
            stmt.value = nodes.tuple_(zeros) if is_tuple else zeros[0]
            return [stmt]
        pushed = self._push_label(stmt)
        if pushed is not None:
            return self._push(*pushed)
        call = self._call_in(stmt)
        if call is not None:
            return self._call(stmt, *call)
        if isinstance(stmt, gast.Assign) and self._is_stack_call(stmt.value, "pop"):
            target = stmt.targets[0].id
            label = _CONTROL if re.fullmatch(r"_trips\d*", target) else target
            stmt.value = self._pop(label)
            return [stmt]
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                setattr(stmt, field, self._block(inner))
        self._expressions(stmt)
        return [stmt]

    def _push(self, label: str, value) -> list:
        if label in self.once:
            return [nodes.assign(self._name("saved", label), value)]
        if label in self.kinds:
            spec, is_tuple = self.kinds[label]
            out, offsets = [], {}
            for index, kind in enumerate(spec):
                stack = _STACK_OF[kind]
                at = offsets.get(stack, 0)
                offsets[stack] = at + 1
                entry = nodes.subscript(nodes.clone(value), nodes.const(index)) \
                    if is_tuple else nodes.clone(value)
                target = nodes.subscript(nodes.name(self._name("typed", stack)),
                                         self._slot(stack, at))
                target.ctx = gast.Store()
                out.append(nodes.assign(target, entry))
            for stack, slots in sorted(offsets.items()):
                count = self._name("count", stack)
                out.append(nodes.assign(count, nodes.binop(nodes.name(count), gast.Add(),
                                                           nodes.const(slots))))
                self.segment[stack] = self.segment.get(stack, 0) + slots
            return out
        return [nodes.expr_stmt(nodes.call(nodes.attribute(
            nodes.name(self._name("stack", label)), "append"), [value]))]

    def _slot(self, stack: str, at: int):
        count = nodes.name(self._name("count", stack))
        return count if at == 0 else nodes.binop(count, gast.Add(), nodes.const(at))

    def _pop(self, label: str) -> gast.AST:
        if label in self.once:
            return nodes.name(self._name("saved", label))
        if label in self.kinds:
            spec, is_tuple = self.kinds[label]
            slots = {}
            for kind in spec:
                slots[_STACK_OF[kind]] = slots.get(_STACK_OF[kind], 0) + 1
            for stack, count in sorted(slots.items()):
                name = self._name("count", stack)
                self.pending.append(nodes.assign(name, nodes.binop(
                    nodes.name(name), gast.Sub(), nodes.const(count))))
            entries, offsets = [], {}
            for kind in spec:
                stack = _STACK_OF[kind]
                at = offsets.get(stack, 0)
                offsets[stack] = at + 1
                entry = nodes.subscript(nodes.name(self._name("typed", stack)),
                                        self._slot(stack, at))
                if kind == "b":
                    entry = nodes.compare(entry, gast.NotEq(), nodes.const(0))
                entries.append(entry)
            return nodes.tuple_(entries) if is_tuple else entries[0]
        return nodes.call(nodes.attribute(nodes.name(self._name("stack", label)), "pop"))

    def _call(self, stmt, role: str, generated) -> list:
        callee = stmt.value
        name = self.translation.function(generated, role)
        if role == "primal":
            label = self._call_label(generated)
            state = self._name("saved", f"state_of_{name}")
            result = stmt.targets[0] if isinstance(stmt, gast.Assign) else \
                nodes.name(self._name("saved", f"unused_{name}"), "store")
            callee.func = nodes.name(name)
            callee.args = callee.args[1:]
            return [nodes.assign(nodes.tuple_([result, nodes.name(state, "store")], "store"),
                                 callee)] + self._push(label, nodes.name(state))
        primal = self.translation.function(generated.__adcompiler_primal__, "primal")
        callee.func = nodes.name(name)
        callee.args = [self._pop(f"calls_{primal}")] + callee.args[1:]
        return [stmt]

    def _expressions(self, stmt) -> None:
        """Control pops inside expressions (`range(_stack.pop())`, `if
        _stack.pop():`) and reversed ranges, in `stmt`'s own expressions (its
        blocks are rewritten statement by statement)."""
        rewrite = _ExpressionRewrite(self)
        for field, value in gast.iter_fields(stmt):
            if field in ("body", "orelse"):
                continue
            if isinstance(value, gast.AST):
                setattr(stmt, field, rewrite.visit(value))
            elif isinstance(value, list):
                setattr(stmt, field, [rewrite.visit(v) if isinstance(v, gast.AST) else v
                                      for v in value])

    def _expression(self, node, ranges):
        if self._is_stack_call(node, "pop"):
            return self._pop(_CONTROL)
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
                node.value.id in ranges and isinstance(node.slice, gast.Slice) and \
                node.slice.lower is None and node.slice.upper is None and \
                _is_minus_one(node.slice.step):
            return nodes.call(nodes.name("reversed_range"), [node.value])
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
                node.value.id in ranges and not isinstance(node.slice, gast.Slice):
            return nodes.call(nodes.name("range_item"), [node.value, node.slice])
        if isinstance(node, gast.Name) and node.id == self.stack:
            raise NumbaBackendError("the derivative uses its stack in a way the numba back "
                                    "end does not know (an internal error)")
        return node

    def _ranges(self) -> set:
        if not hasattr(self, "_range_names"):
            self._range_names = {
                stmt.targets[0].id for stmt in gast.walk(self.tree)
                if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call)
                and isinstance(stmt.value.func, gast.Name) and stmt.value.func.id == "range"}
        return self._range_names


class _ExpressionRewrite(gast.NodeTransformer):
    def __init__(self, rewrite: StackRewrite):
        self.rewrite, self.ranges = rewrite, rewrite._ranges()

    def visit(self, node):
        replaced = self.rewrite._expression(node, self.ranges)
        if replaced is not node:
            return replaced
        return self.generic_visit(node)


def _slots(stmts: list, counts: dict):
    """{typed stack: most entries one run of `stmts` pushes on it} (pushes
    add a constant to a count: `_nfloats = _nfloats + 2`), None when a loop
    inside pushes (no bound known before it runs)."""
    total: dict = {}
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and \
                stmt.targets[0].id in counts and isinstance(stmt.value, gast.BinOp) and \
                isinstance(stmt.value.op, gast.Add) and isinstance(stmt.value.right, gast.Constant):
            stack = counts[stmt.targets[0].id]
            total[stack] = total.get(stack, 0) + stmt.value.right.value
        elif isinstance(stmt, gast.If):
            branches = [_slots(stmt.body, counts), _slots(stmt.orelse, counts)]
            if None in branches:
                return None
            for stack in set(branches[0]) | set(branches[1]):
                total[stack] = total.get(stack, 0) + max(b.get(stack, 0) for b in branches)
        elif isinstance(stmt, (gast.For, gast.While)):
            inner = _slots(stmt.body + stmt.orelse, counts)
            if inner is None or inner:
                return None
        elif any(isinstance(getattr(stmt, field, None), list) for field in ("body", "orelse")):
            return None     # a compound statement generated code does not write
    return total


def _is_minus_one(node) -> bool:
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return isinstance(node.operand, gast.Constant) and node.operand.value == 1
    return isinstance(node, gast.Constant) and node.value == -1
