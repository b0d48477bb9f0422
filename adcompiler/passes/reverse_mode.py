"""Reverse mode: a normalised function -> primal sweep + adjoint sweep.

Input: a normalised FunctionDef (anf.py) with its `Activity`. Output: a
`ReverseCode`, the two statement lists of the derivative and what they need
(the stack, variables to pre-bind), which `reverse_backend.py` assembles into
functions. The protocol between the sweeps is the one a reader sees:

    primal sweep                       adjoint sweep (reverse order)
    ------------                       -----------------------------
    _stack.append(y)   # y is read     <adjoint of y = f(x)>
    y = f(x)           # in reverse    y = _stack.pop()
    while t:                           for _ in range(_stack.pop()):
        ...; _trips = _trips + 1           <adjoint of the body>
    _stack.append(_trips)
    if t: ...; _stack.append(True)     if _stack.pop(): <adjoint of body>
    else: ...; _stack.append(False)    else: <adjoint of orelse>
    for i in _range1: ...              for i in _range1[::-1]: <adjoint>
    _stack.append(len(xs))             dxs = list_repeat_adjoint(dxs, _stack.pop())
    xs = xs * 2    # a join or repeat whose split no adjoint list knows
                   # (adjoint_rules.list_join)

Two analyses keep this as short as hand-written code:
  * zero tracking: the set of variables whose adjoint is known to be zero is
    carried through the reverse walk, so a first contribution is an
    assignment (`dx = dy * w`) and later ones add (`dx = dx + ...`); zeros are
    materialised (`zeros_like`) only where control flow merges a zero and a
    non-zero adjoint;
  * to-be-recorded: the walk leaves placeholders for every save, branch flag
    and trip count; once the adjoint sweep is known, only values it reads are
    pushed, and loops and branches with nothing to undo vanish from both
    sweeps.

With a memory budget (`memory=`), checkpoint.py rewrites the two sweeps of
each outermost loop once they are materialised: the primal sweep runs it
without recording, the adjoint sweep recomputes it from snapshots.

The per-statement work (which rule, which templates) lives in
`adjoint_rules.py`; this module only walks statements and control flow, so
`break`/`continue`/`return` can later be added as new control records without
touching the rule machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast

from .. import nodes
from ..context import Context
from ..errors import UnsupportedSyntaxError
from ..logged_set import LoggedSet
from . import adjoint_rules, checkpoint, sequence_operands
from ..rules import registry
from .activity import Activity
from .anf import primitive_of
from .operations import branch_zero, loop_fixpoint, zero_of


@dataclass(eq=False)
class Slot:
    """A variable overwritten by one statement: saved before, restored after."""

    variable: str
    needed: bool = True       # may the variable hold an earlier value here?
    defined: bool = True      # is it certainly bound here (else pre-bind to None)?
    live: bool = False        # decided by the to-be-recorded analysis


@dataclass(eq=False)
class Control:
    """A loop or branch of the adjoint sweep."""

    kind: str                 # "if", "while", "for"
    header_reads: set = field(default_factory=set)
    counter: str = ""         # trip counter of a while loop
    target: str = ""          # loop variable of a for loop
    live: bool = False


@dataclass
class ReverseCode:
    primal: list
    adjoint: list
    uses_stack: bool
    prebind: list             # variables pre-bound to None before the primal sweep
    read_by_adjoint: set      # primal variables the adjoint sweep reads
    zero_at_start: set        # active variables whose adjoint is zero at the end
    defined_at_end: set       # variables certainly bound when the primal sweep ends


class _Reverse:
    def __init__(self, function: gast.FunctionDef, ctx: Context, activity: Activity,
                 stack: str, budget: int | None = None):
        self.function = function
        self.ctx = ctx
        self.activity = activity
        self.stack = stack
        # With a memory budget, the outermost loops are checkpointed (checkpoint.py).
        self.budget = budget
        self.to_checkpoint = {id(loop) for loop in checkpoint.outermost_loops(function)} \
            if budget is not None else set()
        self.checkpointed: dict[int, checkpoint.CheckpointedLoop] = {}
        self.checkpoint_helpers: dict = {}
        self.slots: dict[int, Slot] = {}
        self.controls: dict[int, Control] = {}
        self.recorded_calls: dict[int, gast.AST] = {}
        self.mirrored: set = set()   # lists whose adjoint is re-made from the restored list
        self.statements = adjoint_rules.StatementAdjoints(ctx, activity, stack,
                                                          self.recorded_calls)
        self.statements.sequence_names, self.statements.parameters = \
            sequence_operands.sequence_and_parameter_names(function, activity)

    # -- placeholders -----------------------------------------------------
    @staticmethod
    def _placeholder(**facts) -> gast.Pass:
        stmt = gast.Pass()
        for key, value in facts.items():
            nodes.annotate(stmt, key, value)
        return stmt

    def _zero_init(self, variable: str) -> gast.AST:
        return nodes.assign(self.ctx.namer.adjoint(variable), zero_of(self.ctx, variable))

    # -- adjoint sweep (walks statements backwards) -----------------------
    def adjoint_block(self, stmts, zero: LoggedSet) -> tuple[list, LoggedSet]:
        """The adjoint code of `stmts`, and the adjoints zero above them:
        `zero` (those zero below them), changed in place (LoggedSet: a branch
        or loop takes back its body's changes)."""
        code: list = []
        for stmt in reversed(stmts):
            stmt_code, zero = self.adjoint_statement(stmt, zero)
            code.extend(stmt_code)
        return code, zero

    def adjoint_statement(self, stmt, zero: LoggedSet) -> tuple[list, LoggedSet]:
        """The adjoint code of `stmt`, and the adjoints zero above it: `zero`,
        updated in place."""
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0].id
            code = self.statements.assignment(stmt, target, stmt.value, zero)
            slot = Slot(target)
            self.slots[id(stmt)] = slot
            code.append(self._placeholder(restore=slot))
            if self.activity.is_active_list(stmt.targets[0]) and not _writes_own_list(stmt) \
                    and target not in self.activity.handovers:
                # Above this point the variable held another list (restored just
                # now), whose adjoint mirrors it as it was when it was replaced.
                # (Not a list built and handed over: its handover, below in the
                # primal, binds its adjoint before anything reads it.)
                code.append(self._placeholder(remirror=slot))
                self.mirrored.add(target)
            return code, zero
        if isinstance(stmt, gast.If):
            body, orelse, only_body, only_orelse = branch_zero(
                self.adjoint_block, stmt.body, stmt.orelse, zero)
            body += [self._zero_init(v) for v in sorted(only_body)]
            orelse += [self._zero_init(v) for v in sorted(only_orelse)]
            control = Control("if")
            self.controls[id(stmt)] = control
            pop = nodes.call(nodes.attribute(nodes.name(self.stack), "pop"))
            node = nodes.if_(pop, body, orelse)
            nodes.annotate(node, "control", control)
            return [nodes.copy_location(node, stmt)], zero
        if isinstance(stmt, (gast.While, gast.For)):
            return self.adjoint_loop(stmt, zero)
        if isinstance(stmt, gast.Expr):
            return self.statements.expression(stmt, zero), zero
        if isinstance(stmt, (gast.Pass, gast.Assert, gast.Raise, gast.Return)):
            return [], zero
        raise UnsupportedSyntaxError(
            f"'{type(stmt).__name__}' statements cannot be differentiated",
            self.ctx.parsed.location(stmt))

    def adjoint_loop(self, stmt, zero: LoggedSet) -> tuple[list, LoggedSet]:
        body, not_zero_in_loop, zero_at_body_end = loop_fixpoint(
            stmt, self.adjoint_block, zero, self.ctx, self.activity)
        body += [self._zero_init(v) for v in sorted(zero_at_body_end)]
        before = [self._zero_init(v) for v in sorted(not_zero_in_loop)]
        # Adjoints zeroed just above, of variables the loop never assigns, are
        # fresh arrays the body only adds to: accumulate into them in place.
        stored = nodes.names_stored(stmt)
        owned = {self.ctx.namer.adjoint(v) for v in not_zero_in_loop if v not in stored}
        # In the variant for Python numbers `+=` rebinds a float; elsewhere
        # add_into adds in place unless a dask or CuPy value is involved.
        add_into = None if self.ctx.numbers else self.ctx.helper("add_into")
        body = [_accumulate_in_place(s, owned, add_into) for s in body]
        if isinstance(stmt, gast.While):
            control = Control("while", counter=self.ctx.namer.fresh("_trips"))
            count = nodes.call(nodes.attribute(nodes.name(self.stack), "pop"))
            node = nodes.for_("_", nodes.call(nodes.name("range"), [count]), body)
        else:
            control = Control("for", header_reads={stmt.iter.id}, target=stmt.target.id)
            # A slice, not reversed(): a reversed range is a range, which
            # differentiating this code again can reverse once more.
            reverse_iter = gast.Subscript(
                value=nodes.name(stmt.iter.id),
                slice=gast.Slice(lower=None, upper=None, step=nodes.const(-1)), ctx=gast.Load())
            node = nodes.for_(stmt.target.id, reverse_iter, body)
        self.controls[id(stmt)] = control
        nodes.annotate(node, "control", control)
        if id(stmt) in self.to_checkpoint:
            # The adjoint sweep runs iterations again: what they read and the
            # loop does not bind must hold the values it held in the loop.
            control.header_reads |= nodes.names_loaded(stmt) - nodes.names_stored(stmt)
            nodes.annotate(node, "checkpoint", stmt)
        code = before + [nodes.copy_location(node, stmt)]
        if isinstance(stmt, gast.For):
            slot = Slot(stmt.target.id)
            self.slots[id(stmt)] = slot
            code.append(self._placeholder(restore=slot))
        return code, zero

    # -- primal sweep (walks statements forwards) -------------------------
    def primal_block(self, stmts, defined: LoggedSet, maybe: LoggedSet) -> list:
        """The primal sweep of `stmts`; `defined` (the variables certainly
        bound before them) and `maybe` (those bound on some path) become
        those after them, changed in place."""
        out: list = []
        for stmt in stmts:
            out.extend(self.primal_statement(stmt, defined, maybe))
        return out

    def _save(self, stmt, variable: str, defined: set, maybe: set) -> list:
        slot = self.slots.get(id(stmt))
        if slot is None:
            return []
        slot.needed = variable in maybe and not self._loop_invariant(stmt, variable)
        slot.defined = variable in defined
        return [self._placeholder(save=slot)] if slot.needed else []

    def _loop_invariant(self, stmt, variable: str) -> bool:
        """A variable assigned only here, inside loops that change none of its
        operands (or only loop-invariant ones), holds the same value on every
        iteration: there is nothing to restore."""
        return isinstance(stmt, gast.Assign) and variable in self.invariant

    def _invariants(self, loop) -> set:
        """Variables of `loop`'s body whose value no iteration of the enclosing
        loops changes (assigned once, by a pure operation on such values)."""
        # A list is a new object on every iteration, whatever it is built from.
        candidates = [n for n in nodes.walk(loop) if isinstance(n, gast.Assign)
                      and self.assignment_counts.get(n.targets[0].id) == 1
                      and n.targets[0].id not in self.activity.lists
                      and (not isinstance(n.value, gast.Call)
                           or registry.lookup(primitive_of(n.value)) is not None)]
        invariant: set = set()
        changed = True
        while changed:
            changed = False
            for assign in candidates:
                target = assign.targets[0].id
                varying = nodes.names_loaded(assign.value) & self.enclosing_stored
                if target not in invariant and varying <= invariant:
                    invariant.add(target)
                    changed = True
        return invariant

    def primal_statement(self, stmt, defined: set, maybe: set) -> list:
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0].id
            out = self._save(stmt, target, defined, maybe)
            joined = self.statements.recorded_lengths.get(id(stmt))
            if joined is not None:
                checked = self.statements.joined_checks.get(id(stmt))
                if checked is not None:
                    # A name taken for a list that holds a number here (it is
                    # a list at another point): refused as the join's own
                    # check below refuses it, before len() raises TypeError.
                    out.append(nodes.copy_location(nodes.expr_stmt(nodes.call(
                        nodes.name(self.ctx.helper("check_joined")),
                        [nodes.clone(joined), nodes.const(checked[1])])), stmt))
                # The length a list had when joined, which its adjoint pops
                # (adjoint_rules.list_join); after the save, as it pops first.
                out.append(self._push(nodes.call(nodes.name("len"), [nodes.clone(joined)])))
            value = self.recorded_calls.get(id(stmt), stmt.value)
            assign = nodes.copy_location(nodes.assign(target, value), stmt)
            if value is not stmt.value:
                # A checkpointed loop's recomputation without recording calls
                # the user's function itself.
                nodes.annotate(assign, "plain_value", stmt.value)
            out.append(assign)
            checked = self.statements.joined_checks.get(id(stmt))
            if checked is not None:
                # `[a, b] + array` is NumPy's sum, not the join differentiated.
                out.append(nodes.copy_location(nodes.expr_stmt(nodes.call(
                    nodes.name(self.ctx.helper("check_joined")),
                    [nodes.name(checked[0]), nodes.const(checked[1])])), stmt))
            defined.add(target)
            maybe.add(target)
            return out
        if isinstance(stmt, gast.If):
            control = self.controls[id(stmt)]
            # Each branch from the sets as they are here (the walk only adds).
            defined_mark, maybe_mark = defined.mark(), maybe.mark()
            body = self.primal_block(stmt.body, defined, maybe)
            body_defined = defined.changes(defined_mark)
            body_maybe = maybe.changes(maybe_mark)
            defined.undo(defined_mark)
            maybe.undo(maybe_mark)
            orelse = self.primal_block(stmt.orelse, defined, maybe)
            orelse_defined = defined.changes(defined_mark)
            defined.undo(defined_mark)
            body.append(self._placeholder(branch=control, taken=True))
            orelse.append(self._placeholder(branch=control, taken=False))
            for name, bound in body_defined.items():
                if bound and orelse_defined.get(name, False):
                    defined.add(name)
            for name, bound in body_maybe.items():
                if bound:
                    maybe.add(name)
            return [nodes.copy_location(nodes.if_(stmt.test, body, orelse), stmt)]
        if isinstance(stmt, (gast.While, gast.For)):
            control = self.controls[id(stmt)]
            assigned = nodes.names_stored(stmt)
            out = []
            if isinstance(stmt, gast.For):
                out += self._save(stmt, stmt.target.id, defined, maybe)
            # The body from the sets as they are here, with the loop's variable
            # bound and every variable it binds maybe bound (by an earlier
            # iteration); after it, what the body binds is maybe bound only.
            defined_mark, maybe_mark = defined.mark(), maybe.mark()
            if isinstance(stmt, gast.For):
                defined.add(stmt.target.id)
            for name in assigned:
                maybe.add(name)
            outer, outer_invariant = self.enclosing_stored, self.invariant
            self.enclosing_stored = outer | nodes.names_mutated(stmt)
            self.invariant = self._invariants(stmt)
            body = self.primal_block(stmt.body, defined, maybe)
            self.enclosing_stored, self.invariant = outer, outer_invariant
            defined.undo(defined_mark)
            maybe.undo(maybe_mark)
            for name in assigned:
                maybe.add(name)
            if id(stmt) in self.to_checkpoint:
                loop = nodes.for_(stmt.target.id, stmt.iter, body) \
                    if isinstance(stmt, gast.For) else nodes.while_(stmt.test, body)
                self.checkpointed[id(stmt)] = checkpoint.make_loop(self.ctx, stmt, defined)
                nodes.annotate(loop, "checkpoint_primal", (stmt, control))
                return out + [nodes.copy_location(loop, stmt)]
            if isinstance(stmt, gast.While):
                out.append(self._placeholder(trips_start=control))
                body.append(self._placeholder(trips_step=control))
                loop = nodes.while_(stmt.test, body)
                after = [self._placeholder(trips_push=control)]
            else:
                loop = nodes.for_(stmt.target.id, stmt.iter, body)
                after = []
            return out + [nodes.copy_location(loop, stmt)] + after
        if isinstance(stmt, gast.Return):
            return []
        return [stmt]

    # -- to-be-recorded analysis ------------------------------------------
    def decide(self, adjoint: list, extra_reads: set) -> set:
        """Mark live slots and controls; return the primal variables read."""
        primal_names = set(self.assignment_counts)  # (the names bound, counted once)
        reads = set(extra_reads)
        # id(block) -> (the block, its steps, see _steps): the adjoint sweep
        # does not change while it is marked, and is marked until nothing changes.
        self._blocks: dict = {}
        while True:
            before = (len(reads), sum(s.live for s in self.slots.values()),
                      sum(c.live for c in self.controls.values()))
            self._mark(adjoint, reads)
            after = (len(reads), sum(s.live for s in self.slots.values()),
                     sum(c.live for c in self.controls.values()))
            if after == before:
                break
        del self._blocks
        return reads & primal_names

    def _mark(self, stmts, reads: set) -> bool:
        """Update liveness below `stmts`; return whether anything there is live."""
        entry = self._blocks.get(id(stmts))
        if entry is None:
            entry = self._blocks[id(stmts)] = (stmts, self._steps(stmts))
        live = False
        for kind, item in entry[1]:
            if kind == "reads":
                reads |= item
                live = True
            elif kind == "remirror":
                if item.needed:
                    reads.add(item.variable)
                    live = True
            elif kind == "restore":
                item.live = item.needed and item.variable in reads
                live |= item.live
            else:
                stmt, control = item
                inner = self._mark(stmt.body, reads) | self._mark(stmt.orelse, reads)
                control.live = control.live or inner
                if control.live:
                    reads |= control.header_reads
                live |= control.live
        return live

    @staticmethod
    def _steps(stmts) -> list:
        """What _mark does for each statement of `stmts`, in order, the names
        read by a run of plain statements joined into one step ("reads"): at
        each round through the sweep only the restores, remirrors and
        controls between them change anything (issue #13)."""
        steps: list = []
        for stmt in stmts:
            anno = getattr(stmt, "ad_anno", None)
            remirror = slot = control = None
            if anno:
                remirror, slot, control = \
                    anno.get("remirror"), anno.get("restore"), anno.get("control")
            if remirror is not None:
                steps.append(("remirror", remirror))
            elif slot is not None:
                steps.append(("restore", slot))
            elif control is not None:
                steps.append(("control", (stmt, control)))
            else:
                if not steps or steps[-1][0] != "reads":
                    steps.append(("reads", set()))
                # (names_loaded, into the run's set: no set per statement)
                names: list = []
                _loads(stmt, names)
                steps[-1][1].update(names)
        return steps

    # -- materialisation --------------------------------------------------
    def materialise(self, stmts) -> list:
        out = []
        for stmt in stmts:
            if not getattr(stmt, "ad_anno", None) and not isinstance(stmt, _BLOCKS):
                out.append(stmt)  # (what _materialise_one keeps of it)
            else:
                out.extend(self._materialise_one(stmt))
        return out

    def _push(self, value: gast.AST) -> gast.AST:
        return nodes.expr_stmt(nodes.call(nodes.attribute(nodes.name(self.stack), "append"),
                                          [value]))

    def _materialise_one(self, stmt) -> list:
        anno = getattr(stmt, "ad_anno", {})
        if "save" in anno:
            slot = anno["save"]
            if slot.live and slot.variable in self.shape_only:
                return [self._push(checkpoint.record_shape(self.ctx, slot.variable,
                                                           self.checkpoint_helpers))]
            return [self._push(nodes.name(slot.variable))] if slot.live else []
        if "restore" in anno:
            slot = anno["restore"]
            pop = nodes.call(nodes.attribute(nodes.name(self.stack), "pop"))
            return [nodes.assign(slot.variable, pop)] if slot.live else []
        if "remirror" in anno:
            slot = anno["remirror"]
            return [list_mirror(self.ctx, slot.variable)] if slot.needed else []
        if "branch" in anno:
            return [self._push(nodes.const(anno["taken"]))] if anno["branch"].live else []
        for key in ("trips_start", "trips_step", "trips_push"):
            if key in anno:
                control = anno[key]
                if not control.live:
                    return []
                counter = control.counter
                if key == "trips_start":
                    return [nodes.assign(counter, nodes.const(0))]
                if key == "trips_step":
                    return [nodes.assign(counter, nodes.add(nodes.name(counter),
                                                            nodes.const(1)))]
                return [self._push(nodes.name(counter))]
        control = anno.get("control")
        if control is not None and not control.live:
            return []
        if "checkpoint_primal" in anno and anno["checkpoint_primal"][1].live:
            stmt.body = self.materialise(stmt.body) or [gast.Pass()]
            counters = {c.counter for c in self.controls.values() if c.counter}
            checkpointed = self.checkpointed[id(anno["checkpoint_primal"][0])]
            checkpointed.mirrored = self.mirrored
            checkpoint.refuse_unrepeatable(checkpointed.loop, self.ctx)
            return checkpoint.primal_code(self.ctx, checkpointed, stmt, self.stack, counters,
                                          self.budget, self.checkpoint_helpers)
        if "checkpoint" in anno:
            body = self.materialise(stmt.body)
            return checkpoint.adjoint_code(self.ctx, self.checkpointed[id(anno["checkpoint"])],
                                           body, self.stack)
        if control is not None and control.kind == "for":
            if control.target not in self._reads:
                stmt.target = nodes.name("_", "store")
        if isinstance(stmt, (gast.If, gast.While, gast.For)):
            stmt.body = self.materialise(stmt.body) or [gast.Pass()]
            stmt.orelse = self.materialise(stmt.orelse)
            if isinstance(stmt, gast.If) and not stmt.body and not stmt.orelse:
                return []
        return [stmt]


def _loads(node: gast.AST, into: list) -> None:
    """Append to `into` the names read in `node` (an adjoint statement), as
    `nodes.names_loaded` finds them: the statements and expressions the
    templates write are walked here without a generator or a field table
    (the adjoint sweep's names were a tenth of reverse mode's time: issue
    #13); any other node by `nodes.name_nodes`."""
    kind = node.__class__
    if kind is _NAME and node.annotation is None:
        if node.ctx.__class__ is _LOAD:
            into.append(node.id)
        return
    if kind is _CONSTANT:
        return
    elif kind is _CALL:
        _loads(node.func, into)
        for argument in node.args:
            _loads(argument, into)
        for keyword in node.keywords:
            _loads(keyword.value, into)
        return
    elif kind is _BINOP:
        _loads(node.left, into)
        _loads(node.right, into)
        return
    elif kind is _ATTRIBUTE:
        _loads(node.value, into)
        return
    elif kind is _SUBSCRIPT:
        _loads(node.value, into)
        _loads(node.slice, into)
        return
    elif kind is _ASSIGN:
        for target in node.targets:
            _loads(target, into)
        _loads(node.value, into)
        return
    elif kind is _EXPR:
        _loads(node.value, into)
        return
    into.extend([n.id for n in nodes.name_nodes(node) if n.ctx.__class__ is _LOAD])


_NAME, _LOAD, _CONSTANT, _CALL = gast.Name, gast.Load, gast.Constant, gast.Call
_BINOP, _ATTRIBUTE, _SUBSCRIPT = gast.BinOp, gast.Attribute, gast.Subscript
_ASSIGN, _EXPR = gast.Assign, gast.Expr
_BLOCKS = (gast.If, gast.While, gast.For)


def lists_changed_in_place(function: gast.FunctionDef, params, lists: set) -> set:
    """The list parameters among `params` whose object, the caller's list, the
    function may append to or pop from (a caller's `_stack`): the caller passes
    their adjoint lists in and the adjoint pushes and pops on them, keeping the
    caller's mirror in step. A parameter the function replaces by a new list
    before anything else touches it (`dL = add_adjoints(zeros_like(L), dL)`,
    the seeded mirror of a generated adjoint) leaves the caller's list as it
    was, so its adjoint is returned like any argument's: pushing on the
    caller's mirror would leave it one copy too long."""
    return {p for p in params if p in lists and not _replaced_on_entry(function, p)}


def _replaced_on_entry(function: gast.FunctionDef, param: str) -> bool:
    """Whether the function's first statement binding `param`, at its top
    level, comes before anything that could change the object it held, and
    binds it to a new list: a list display, or a rule's result (a rule returns
    a new value and changes none of its arguments)."""
    for stmt in function.body:
        if param not in nodes.names_loaded(stmt) | nodes.names_mutated(stmt):
            continue
        value = getattr(stmt, "value", None)
        if isinstance(stmt, gast.Assign) and stmt.targets[0].id == param:
            return isinstance(value, gast.List) or _rule_call(value)
        if not isinstance(stmt, (gast.Assign, gast.Expr)) or param in nodes.names_mutated(stmt):
            return False
        # Read only: pushed onto another list (`_stack.append(L)`, the state a
        # generated primal records) or handed to a rule.
        if not (nodes.list_method(value, "append") or _rule_call(value)):
            return False
    return False


def _rule_call(value: gast.AST) -> bool:
    primitive = primitive_of(value) if isinstance(value, gast.Call) else None
    return primitive is not None and registry.lookup(primitive) is not None


def _writes_own_list(stmt: gast.Assign) -> bool:
    """`L = setitem(L, i, v)`, `L = add_adjoints(L, M)`: a list computed from
    itself, whose adjoint list the statement's adjoint has already turned into
    the old one's (adjoint_rules.list_write, and own contributions)."""
    return stmt.targets[0].id in nodes.names_loaded(stmt.value)


def list_mirror(ctx: Context, variable: str, seeded: bool = False) -> gast.AST:
    """`dL = zeros_like(L)`: the adjoint of a list is a list of zero adjoints,
    one per element, which the adjoint sweep keeps the same length as the list
    was at the matching point of the primal sweep (a pop for each append).
    For the returned list (`seeded`), its seed is added in, entry by entry,
    into a new list the sweep may push and pop on."""
    adjoint = ctx.namer.adjoint(variable)
    zeros = nodes.call(nodes.name(ctx.helper("zeros_like")), [nodes.name(variable)])
    if seeded:
        zeros = nodes.call(nodes.name(ctx.helper("add_adjoints")), [zeros, nodes.name(adjoint)])
    return nodes.assign(adjoint, zeros)


def _accumulate_in_place(stmt, owned: set, add_into: str | None):
    """`dW = dW + c` -> `dW = add_into(dW, c)` (`dW += c` when `add_into` is
    None) for the adjoints in `owned`, below `stmt`."""
    if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.BinOp) and \
            isinstance(stmt.value.op, gast.Add) and isinstance(stmt.value.left, gast.Name):
        target = stmt.targets[0].id
        if target in owned and stmt.value.left.id == target and \
                target not in nodes.names_loaded(stmt.value.right):
            if add_into is not None:
                return nodes.copy_location(nodes.assign(target, nodes.call(
                    nodes.name(add_into), [nodes.name(target), stmt.value.right])), stmt)
            return gast.AugAssign(target=nodes.name(target, "store"), op=gast.Add(),
                                  value=stmt.value.right)
    for block in ("body", "orelse"):
        if isinstance(getattr(stmt, block, None), list):
            setattr(stmt, block, [_accumulate_in_place(s, owned, add_into)
                                  for s in getattr(stmt, block)])
    return stmt


def reverse(function: gast.FunctionDef, ctx: Context, activity: Activity, stack: str,
            final_reads: set, memory: int | None = None) -> ReverseCode:
    """Build both sweeps of `function`.

    Where the adjoint sweep starts, every active variable's adjoint is zero
    but the returned one's (the seed) and the lists' (they mirror the lists,
    see `list_mirror`); `final_reads` are primal variables the code after the
    adjoint sweep reads (the parameters, to shape their gradients). With
    `memory` (bytes), the outermost loops are checkpointed to keep their
    recording within it (checkpoint.py).
    """
    returned = function.body[-1].value
    zero_at_end = activity.active - activity.lists - (
        {returned.id} if activity.is_active(returned) else set())
    walker = _Reverse(function, ctx, activity, stack, memory)
    walker.enclosing_stored, walker.invariant = set(), set()
    # Parameters count: a parameter overwritten in a loop had a value before it.
    walker.assignment_counts = nodes.assignment_counts(function)
    adjoint, zero_at_start = walker.adjoint_block(function.body, LoggedSet(zero_at_end))
    defined = LoggedSet(nodes.parameters(function))
    primal = walker.primal_block(function.body, defined, LoggedSet(defined))
    reads = walker.decide(adjoint, final_reads)
    walker._reads = reads
    # With a budget, what the adjoint reads only for its shape is recorded so.
    walker.shape_only = set() if memory is None else checkpoint.shape_only_variables(
        adjoint, ctx, set(final_reads) | {v for c in walker.controls.values()
                                          for v in c.header_reads})
    primal, adjoint = walker.materialise(primal), walker.materialise(adjoint)
    # A snapshot reads the loop-carried state, bound or not before the loop.
    prebind = sorted({s.variable for s in walker.slots.values()
                      if s.live and not s.defined} |
                     {v for c in walker.checkpointed.values() for v in c.state
                      if v not in c.defined})
    uses_stack = any(s.live for s in walker.slots.values()) or any(
        c.live for c in walker.controls.values()) or bool(walker.recorded_calls) or \
        bool(walker.statements.recorded_lengths)
    return ReverseCode(primal, adjoint, uses_stack, prebind, reads, set(zero_at_start),
                       set(defined))
