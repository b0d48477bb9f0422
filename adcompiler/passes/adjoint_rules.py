"""The adjoint of one normalised assignment `target = rhs`.

Used by reverse_mode.py for every assignment it walks. Looks the operation up
in the rule tables, instantiates the rule's templates with the statement's
own names, and accumulates each contribution into the operand's adjoint under
the zero-tracking discipline (first contribution assigns, later ones add).
Calls to the user's own functions get derivative code of their own
(`reverse_backend.py`), called here as `helper_adjoint(_stack, dy)`.

    y = x * w      ->    dx = unbroadcast(dy * w, x)       (x's first contribution)
                         dw = dw + unbroadcast(dy * x, w)  (w had one already)

A list literal bound to a rule's parameter gets one adjoint per element from
the rule, taken apart by position:

    s = np.stack([a, b])  ->  _t1 = stack_adjoint(ds, [a, b], 0)
                              da = _t1[0]
                              db = _t1[1]
"""

from __future__ import annotations

import gast

from .. import nodes
from ..runtime import core as runtime_core
from ..context import Context
from ..errors import UnsupportedSyntaxError
from . import sequence_operands
from .activity import Activity
from .anf import literal_names, primitive_of
from .operations import bind_user_call, check_list_alias, classify, instantiate, list_join, \
    runtime_check, operates_on_lists, StatementLocation


class StatementAdjoints:
    def __init__(self, ctx: Context, activity: Activity, stack: str, recorded_calls: dict):
        self.ctx = ctx
        self.activity = activity
        self.stack = stack
        self.recorded_calls = recorded_calls
        # id(statement) -> the list whose length the primal sweep pushes just
        # before it, for the join's adjoint to pop (see list_join).
        self.recorded_lengths: dict = {}
        # Names that may hold a tuple or list, and the parameters (set by
        # reverse_mode.py; see sequence_operands.py).
        self.sequence_names: set = set()
        self.parameters: set = set()
        # id(statement) -> (target, file:line) of each `T = L + M` or `L * n`
        # differentiated as a join, which the primal sweep checks was one.
        self.joined_checks: dict = {}
        self.location = StatementLocation(ctx.parsed)
        self._comments: dict = {}   # line number -> its comment's text ("" for none)

    def _active(self, atom) -> bool:
        return self.activity.is_active(atom)

    def _comment(self, stmt) -> list:
        lineno = getattr(stmt, "lineno", 0) or 0
        # (The statements normalising one line makes share its comment's text.)
        text = self._comments.get(lineno)
        if text is None:
            line = self.ctx.parsed.line_text(lineno).strip()
            text = self._comments[lineno] = f"line {stmt.lineno}: {line}" if line else ""
        return [nodes.comment(text)] if text else []

    def accumulate(self, variable: str, contribution: gast.AST, zero: set) -> gast.AST:
        adjoint = self.ctx.namer.adjoint(variable)
        if variable in zero:
            zero.discard(variable)
            return nodes.assign(adjoint, contribution)
        if variable in self.activity.tuples or variable in self.activity.lists:
            return nodes.assign(adjoint, nodes.call(nodes.name(self.ctx.helper("add_adjoints")),
                                                    [nodes.name(adjoint), contribution]))
        return nodes.assign(adjoint, nodes.add(nodes.name(adjoint), contribution))

    def _list_op(self, store: str, method: str, args=()) -> gast.AST:
        return nodes.call(nodes.attribute(nodes.name(self.ctx.namer.adjoint(store)), method),
                          list(args))

    def expression(self, stmt, zero: set) -> list:
        """Adjoint of a call made for its effect: `L.append(v)` pops v's adjoint."""
        call = stmt.value
        if nodes.list_method(call, "append") and self.activity.is_active_list(call.func.value):
            value, store = call.args[0], call.func.value.id
            popped = self._list_op(store, "pop")
            if self._active(value):
                return self._comment(stmt) + [self.accumulate(value.id, popped, zero)]
            return [nodes.expr_stmt(popped)]
        if nodes.list_method(call, "pop") and self.activity.is_active_list(call.func.value):
            # A discarded `L.pop()` still took an entry off L: the sweep puts a
            # zero adjoint back, so that the pop of its push (`dv = dL.pop()`)
            # finds one. A plain 0.0 is a zero of any shape: the value is gone.
            store = call.func.value.id
            return self._comment(stmt) + [nodes.expr_stmt(
                self._list_op(store, "append", [nodes.const(0.0)]))]
        if self.activity.passes_active_list(call):
            raise UnsupportedSyntaxError(
                "a call that stores differentiated values in a list and discards its result "
                "cannot be differentiated in reverse mode yet", self.ctx.parsed.location(stmt),
                help="Instead: assign the call's result to a variable.")
        return []

    def assignment(self, stmt, target: str, rhs: gast.AST, zero: set) -> list:
        """Adjoint statements of `target = rhs`; updates `zero` in place."""
        self.recorded_lengths.pop(id(stmt), None)  # decided again on every walk
        if nodes.list_method(rhs, "pop") and self.activity.is_active_list(rhs.func.value):
            # v = L.pop() is undone by pushing v's adjoint (zeros when v carries
            # none), so that pops and pushes stay paired.
            store = rhs.func.value.id
            # A zero, not a None placeholder: the function that pushed this value
            # may see it as active even where this one does not.
            zeros = nodes.call(nodes.name(self.ctx.helper("zeros_like")), [nodes.name(target)])
            if target in self.activity.active:
                adjoint = zeros if target in zero \
                    else nodes.name(self.ctx.namer.adjoint(target))
                if target not in self.activity.lists:
                    # A list popped (`xs = _stack.pop()` in a gradient) gets its
                    # adjoint list re-made from the restored list (reverse_mode's
                    # remirror), which the reads above it add into: never zero.
                    zero.add(target)
            else:
                adjoint = zeros
            return self._comment(stmt) + [nodes.expr_stmt(self._list_op(store, "append",
                                                                         [adjoint]))]
        if self.activity.passes_active_list(rhs):
            return self.list_passing_call(stmt, target, rhs, zero)
        if isinstance(rhs, gast.Name):  # (check_list_alias looks at copies only)
            check_list_alias(target, rhs, self.activity, self.location(stmt))
        if target not in self.activity.active:
            return []
        if target in zero:
            return []  # nothing flows back from a zero adjoint
        if primitive_of(rhs) is runtime_core.setitem and len(rhs.args) == 3 and \
                self.activity.is_active_list(rhs.args[0]):
            return self._comment(stmt) + self.list_write(target, rhs, zero)
        join = list_join(rhs, self.activity, target)
        if join is not None:
            return self._comment(stmt) + self.list_join(stmt, target, join, zero)
        code, contributions = self.contributions(stmt, target, rhs)
        own = []
        for variable, expr in contributions:
            if variable == target:
                own.append(expr)
                continue
            if target in self.activity.lists and isinstance(expr, gast.Name):
                # `L = add_adjoints(L, M)`: M's adjoint is L's adjoint list, which
                # goes on mirroring L (pushes and pops): M gets a copy, so that
                # this code, differentiated again, names no list twice.
                zeros = nodes.call(nodes.name(self.ctx.helper("zeros_like")), [expr])
                expr = nodes.call(nodes.name(self.ctx.helper("add_adjoints")),
                                  [zeros, nodes.clone(expr)])
            if isinstance(rhs, gast.Name) and rhs.id in self.activity.handovers:
                # `M = T`, T never used after (activity.handed_over_stacks):
                # nothing later added to T's adjoint, which has none before
                # this (reverse_backend makes it no list at the seed: one
                # made from T's object, grown since through M, would not have
                # the handover's length).
                zero.add(variable)
            code.append(self.accumulate(variable, expr, zero))
        if target not in self.activity.lists:
            # A list's adjoint is never zero-tracked: it mirrors the list, entry by
            # entry, and reverse_mode re-creates it for the list bound before.
            zero.add(target)
        if own:
            total = own[0]
            for expr in own[1:]:
                total = nodes.add(total, expr)
            if target in self.activity.lists:
                # `L = add_adjoints(L, M)`: what L's adjoint receives from the
                # statement is all of the old L's (a list's adjoint is not zeroed
                # first, so adding would count the new L's twice).
                code.append(nodes.assign(self.ctx.namer.adjoint(target), total))
            else:
                code.append(self.accumulate(target, total, zero))
        return self._comment(stmt) + code if code else []

    def contributions(self, stmt, target: str, rhs: gast.AST) -> tuple[list, list]:
        """Statements to run first, and (operand, contribution to its adjoint)
        for each active operand."""
        g = nodes.name(self.ctx.namer.adjoint(target))
        if isinstance(rhs, gast.Subscript) and self.activity.is_active_list(rhs.value):
            return [self.list_read(target, rhs)], []
        operation = classify(rhs, self.activity, self.location(stmt))
        if operation.kind == "rule" and (
                operates_on_lists(operation, self.activity) or (
                    operation.primitive is runtime_core.setitem and
                    self.activity.is_active_list(operation.bound.get("x")))):
            # (A list written into an array, y[1:] = [a, b], is NumPy's write
            # of the array it makes of the list: the setitem rule's.)
            # Joins and repetitions went to list_join, L[i] = v to list_write.
            self._refuse_list_update(stmt, "writing into lists of differentiated values "
                                           "this way")
        if operation.kind == "copy":
            return [], ([(rhs.id, g)] if self._active(rhs) else [])
        if operation.kind == "dict":
            # The adjoint of a dict is a dict of adjoints, one per value.
            return [], [(value.id, gast.Subscript(value=g, slice=nodes.clone(key),
                                                  ctx=gast.Load()))
                        for key, value in zip(rhs.keys, rhs.values) if self._active(value)]
        if operation.kind in ("tuple", "list"):
            # The adjoint of a tuple (a list) is a tuple (a list) of adjoints.
            entries = [(element.id, gast.Subscript(value=g, slice=nodes.const(k),
                                                   ctx=gast.Load()))
                       for k, element in enumerate(rhs.elts) if self._active(element)]
            # Read by position only once known to have the display's length: a
            # join or repetition of the value where its type was not known
            # (a helper's result) hands back a longer sequence's adjoint.
            checked = nodes.call(nodes.name(self.ctx.helper("sequence_entries")),
                                 [nodes.clone(g), nodes.const(len(rhs.elts)),
                                  nodes.const(self.location(stmt).file_line)])
            return [nodes.assign(g.id, checked)] if entries else [], entries
        if operation.kind == "user":
            return self.user_call(stmt, target, rhs, operation.primitive, g)
        if operation.kind != "rule":
            return [], []
        # A tuple or list operand of a NumPy function is read as an array.
        bindings = dict(sequence_operands.array_bindings(
            operation, self.activity, self.sequence_names, self.parameters, self.ctx),
            g=g, result=nodes.name(target))
        code, out = [], []
        check = runtime_check(operation, self.ctx, self.location(stmt))
        if check is not None and any(
                isinstance(operation.bound[p], (gast.List, gast.Tuple)) or
                self._active(operation.bound[p]) for p in operation.rule.adjoint):
            code.append(check)
        for param, template in operation.rule.adjoint.items():
            atom = operation.bound[param]
            if isinstance(atom, (gast.List, gast.Tuple)):
                code += self._literal_contributions(atom, template, bindings, out)
                continue
            if not self._active(atom):
                continue
            contribution = instantiate(template, bindings, self.ctx)
            if operation.rule.pointwise and not self.ctx.numbers and \
                    operation.may_broadcast(param):
                contribution = nodes.call(nodes.name(self.ctx.helper("unbroadcast")),
                                          [contribution, nodes.clone(atom)])
            out.append((atom.id, contribution))
        return code, out

    def list_write(self, target: str, rhs: gast.Call, zero: set) -> list:
        """`T = setitem(L, i, v)` for a list L (`L[i] = v`): the entry of T's
        adjoint list at i goes to v, and the rest is L's (the entry L held at i
        was replaced, so nothing after this statement reads it through L):

            dv = dv + dT[i]
            dL = setitem(dT, i, 0.0)         (added to dL when T is another name)
        """
        store, index, value = rhs.args
        adjoint = nodes.name(self.ctx.namer.adjoint(target))
        code = []
        if self._active(value):
            entry = gast.Subscript(value=nodes.clone(adjoint), slice=nodes.clone(index),
                                   ctx=gast.Load())
            code.append(self.accumulate(value.id, entry, zero))
        rest = nodes.call(nodes.name(self.ctx.helper("setitem")),
                          [nodes.clone(adjoint), nodes.clone(index), nodes.const(0.0)])
        if store.id == target:
            code.append(nodes.assign(self.ctx.namer.adjoint(target), rest))
        else:
            code.append(self.accumulate(store.id, rest, zero))
        return code

    def list_join(self, stmt, target: str, join, zero: set) -> list:
        """`T = L + M` (or `T = extended(L, M)`, L.extend(M)) and `T = L * n`:
        T's adjoint list mirrors T entry by entry, so its first len(L) entries
        are L's and the rest M's (for a repetition, every len(L) entries are
        L's again, added up by list_repeat_adjoint):

            dL = add_adjoints(dL, dT[:_n])
            dM = add_adjoints(dM, dT[_n:])

        The split _n is len(L) when the join ran. Where L has an adjoint list
        of its own (and is not T), that list mirrors L as L was at the join
        (the sweep's invariant), so _n = len(dL); else, from M's mirror,
        _n = len(dT) - len(dM). Nothing else in the sweep knows it: L's value
        there may have grown or been rebound since (`xs = xs + [v]` rebinds
        xs; `xs = xs * 2` too), so then the primal sweep pushes len(L) before
        the join and the adjoint pops it. An operand that is not a list the
        analysis follows (a list parameter, the array whose rows L.extend(M)
        appends) gets its part in its own form (items_adjoint)."""
        first, second = join.first, join.second
        adjoint = nodes.name(self.ctx.namer.adjoint(target))
        code = []
        if isinstance(stmt.value, gast.BinOp):
            self.joined_checks[id(stmt)] = (target, self.ctx.parsed.location(stmt).file_line)

        def mirrored(atom) -> bool:
            return self.activity.is_active_list(atom) and atom.id != target

        def length(atom) -> gast.AST:
            return nodes.call(nodes.name("len"), [nodes.name(self.ctx.namer.adjoint(atom.id))])

        if mirrored(first):
            split = length(first)
        elif join.kind == "join" and mirrored(second):
            split = gast.BinOp(left=nodes.call(nodes.name("len"), [nodes.clone(adjoint)]),
                               op=gast.Sub(), right=length(second))
        elif isinstance(first, gast.List) and not any(
                isinstance(e, gast.Starred) for e in first.elts):
            split = nodes.const(len(first.elts))  # a display: [0.5] + xs
        elif join.kind == "join" and isinstance(first, gast.Name) and \
                isinstance(second, gast.Name) and first.id == second.id == target:
            split = gast.BinOp(left=nodes.call(nodes.name("len"), [nodes.clone(adjoint)]),
                               op=gast.FloorDiv(), right=nodes.const(2))
        else:
            self.recorded_lengths[id(stmt)] = first
            split = nodes.call(nodes.attribute(nodes.name(self.stack), "pop"))
        count = self.ctx.namer.temp()
        code.append(nodes.assign(count, split))
        if join.kind == "repeat":
            parts = [(first, nodes.call(nodes.name(self.ctx.helper("list_repeat_adjoint")),
                                        [nodes.clone(adjoint), nodes.name(count)]))]
        else:
            parts = [(first, gast.Subscript(value=nodes.clone(adjoint), slice=gast.Slice(
                lower=None, upper=nodes.name(count), step=None), ctx=gast.Load())),
                (second, gast.Subscript(value=nodes.clone(adjoint), slice=gast.Slice(
                    lower=nodes.name(count), upper=None, step=None), ctx=gast.Load()))]
        own = []
        for atom, part in parts:
            if not self._active(atom):
                continue
            if atom.id not in self.activity.lists:
                part = nodes.call(nodes.name(self.ctx.helper("items_adjoint")),
                                  [part, nodes.clone(atom)])
            if atom.id == target:
                own.append(part)
            else:
                code.append(self.accumulate(atom.id, part, zero))
        if own:
            # Above the join, T's name held L (`xs = xs + [v]`): its adjoint
            # becomes L's, after everything else read T's.
            total = own[0] if len(own) == 1 else nodes.call(
                nodes.name(self.ctx.helper("add_adjoints")), own)
            code.append(nodes.assign(adjoint.id, total))
        if target not in self.activity.lists:
            zero.add(target)  # a temporary handed over (activity.handed_over_lists)
        return code

    def _refuse_list_update(self, stmt, what: str):
        raise UnsupportedSyntaxError(
            f"{what} is not supported in reverse mode", self.ctx.parsed.location(stmt),
            help="Instead: build a new list with append, keep one name per list, or stack "
            "the values into an array (np.stack) and work on the array.")

    def list_read(self, target: str, rhs: gast.Subscript) -> gast.AST:
        """`v = L[i]`: v's adjoint goes into the entry of L's adjoint list that
        mirrors L[i] (the adjoint list has L's length at this point of the
        sweep, so negative indices and slices mean the same entries):

            dL[i] = add_adjoints(dL[i], dv)       (an element)
            dL[a:b] = add_adjoints(dL[a:b], dv)   (a slice, itself a list)
        """
        store = self.ctx.namer.adjoint(rhs.value.id)
        entry = gast.Subscript(value=nodes.name(store), slice=nodes.clone(rhs.slice),
                               ctx=gast.Load())
        g = nodes.name(self.ctx.namer.adjoint(target))
        # An entry may itself be a tuple or list (a list of pairs) that the
        # analysis cannot see, and a zeroed entry is a plain 0.0: add_adjoints
        # adds both, and arrays and floats as `+` does.
        total = nodes.call(nodes.name(self.ctx.helper("add_adjoints")), [entry, g])
        written = gast.Subscript(value=nodes.name(store), slice=nodes.clone(rhs.slice),
                                 ctx=gast.Store())
        return gast.Assign(targets=[written], value=total, type_comment=None)

    def _literal_contributions(self, literal, template, bindings, out: list) -> list:
        """A list literal bound to a rule's parameter (`np.stack([a, b])`): the
        rule's adjoint is a sequence with one adjoint per element, nested like
        the literal; each active element takes its own."""
        active = [(path, name) for path, name in literal_names(literal) if self._active(name)]
        if not active:
            return []
        contribution = instantiate(template, bindings, self.ctx)
        code = []
        if len(active) > 1:
            temp = self.ctx.namer.temp()
            code.append(nodes.assign(temp, contribution))
            contribution = nodes.name(temp)
        for path, name in active:
            element = nodes.clone(contribution)
            for position in path:
                element = gast.Subscript(value=element, slice=nodes.const(position),
                                         ctx=gast.Load())
            out.append((name.id, element))
        return code

    def list_passing_call(self, stmt, target: str, rhs: gast.Call, zero: set) -> list:
        """A call handing an active list to a user function: always recorded and
        undone, even when its own result carries no derivative, because what it
        pushed is popped (and differentiated) later."""
        if target in self.activity.active and target not in zero:
            g = nodes.name(self.ctx.namer.adjoint(target))
        else:
            g = nodes.call(nodes.name(self.ctx.helper("zeros_like")), [nodes.name(target)])
        code, contributions = self.user_call(stmt, target, rhs, primitive_of(rhs), g)
        if target in self.activity.active and target not in self.activity.lists:
            # A list result is never zero-tracked (see assignment): the list the
            # name held before the call gets its adjoint list re-made, and the
            # reads above add into it.
            zero.add(target)
        for variable, expr in contributions:
            code.append(self.accumulate(variable, expr, zero))
        return self._comment(stmt) + code

    def user_call(self, stmt, target: str, rhs: gast.Call, function, g) -> tuple[list, list]:
        location = self.ctx.parsed.location(stmt)
        bound = bind_user_call(function, rhs, location)
        active, arity = bound.differentiated(self._active)
        if not active:
            return [], []
        # Lists the callee appends to or pops from are not returned by its
        # adjoint: it pushes and pops on their adjoint lists, which it is given
        # after the seed. A list it only reads gets its adjoint returned.
        primal_name, adjoint_name = self.ctx.callee(function, active, location, arity)
        stacks = self.ctx.callee_list_params(function, active, location, arity)
        lists = [i for i in active if i in stacks]
        recorded = bound.generated_call(rhs)
        recorded.func = nodes.name(primal_name)
        recorded.args = [nodes.name(self.stack)] + recorded.args
        self.recorded_calls[id(stmt)] = recorded
        adjoint_lists = [nodes.name(self.ctx.namer.adjoint(bound.atom(i).id)) for i in lists]
        call = nodes.call(nodes.name(adjoint_name), [nodes.name(self.stack), g] + adjoint_lists)
        atoms = [bound.atom(i) for i in active if i not in lists]
        if not atoms:
            # Called for what it pushes on the adjoint lists; its None is bound,
            # so that differentiating this code again follows the lists it fills.
            return [nodes.assign(self.ctx.namer.temp(), call)], []
        if len(atoms) == 1:
            return [], [(atoms[0].id, call)]
        # Several active arguments: the callee returns a tuple of adjoints.
        temp = self.ctx.namer.temp()
        out = []
        for position, atom in enumerate(atoms):
            element = gast.Subscript(value=nodes.name(temp), slice=nodes.const(position),
                                     ctx=gast.Load())
            out.append((atom.id, element))
        return [nodes.assign(temp, call)], out
