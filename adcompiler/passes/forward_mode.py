"""Forward mode: a normalised function -> the same function carrying tangents.

Input: a normalised FunctionDef (anf.py) with its `Activity`. Output: a list of
statements in which every active assignment is followed by the assignment of
its tangent, built from the *same* rules as reverse mode (each rule's tangent
template). No stack is needed: tangents flow forwards with the values.

    y = x * w                   y = x * w
                         ->     dy = dx * w + x * dw
    while t:                    while t:
        y = np.sin(y)               y = np.sin(y)
                                    dy = dy * np.cos(y_old) ...

Zero tracking, as in reverse mode: a tangent known to be zero (the variable
was just assigned a constant, or only from zero tangents) is never computed
or added; `zeros_like` appears only where control flow merges a zero and a
non-zero tangent.

Lists carry their tangents in a list of their own: `L.append(v)` is followed
by `dL.append(dv)` and `v = L.pop()` by `dv = dL.pop()`, which keeps the two in
step (push and pop are linear in what they carry). This is what lets forward
mode run over the generated reverse-mode code and its `_stack`.
"""

from __future__ import annotations

import operator

import gast

from .. import nodes
from ..context import Context
from ..errors import UnsupportedSyntaxError
from ..errors import NoDerivativeRuleError
from ..logged_set import LoggedSet
from . import sequence_operands
from .activity import Activity
from .anf import literal_names, primitive_of
from .operations import bind_user_call, check_list_alias, classify, instantiate, list_join, \
    runtime_check, branch_zero, loop_fixpoint, zero_of, StatementLocation


class _Forward:
    def __init__(self, function: gast.FunctionDef, ctx: Context, activity: Activity):
        self.function = function
        self.ctx = ctx
        self.activity = activity
        self.sequence_names, self.parameters = \
            sequence_operands.sequence_and_parameter_names(function, activity)
        # Variables a loop (or the other branch of an if) makes non-zero whose
        # tangent cannot be started at zero there, not being surely bound
        # (bound only in a branch or an earlier loop: `for c in cs: v = c`,
        # then `for ...: v = v * x`): their zero tangent is written where they
        # are bound with one (forward()).
        self.unstarted: set = set()
        # Whether a name was handed out for an unused value (see forward()).
        self.named_unused = False
        # Whether the walk is a trial round through a loop body (see loop()).
        self.dry = False
        self.location = StatementLocation(ctx.parsed)

    def tangent(self, variable: str) -> str:
        return self.ctx.namer.tangent(variable)

    def _zero(self, variable: str) -> gast.AST:
        return zero_of(self.ctx, variable)

    def _literal_tangent(self, literal, zero: set) -> gast.AST:
        elts = [self._literal_tangent(e, zero) if isinstance(e, (gast.List, gast.Tuple))
                else self._tangent_of(e, zero) for e in literal.elts]
        return type(literal)(elts=elts, ctx=gast.Load())

    def _tangent_of(self, atom, zero: set) -> gast.AST:
        """The tangent of an atom as an expression (zeros for zero tangents)."""
        if isinstance(atom, gast.Name) and self.activity.is_active(atom) and atom.id not in zero:
            return nodes.name(self.tangent(atom.id))
        if isinstance(atom, gast.Name):
            return self._zero(atom.id)
        return nodes.const(0.0)

    # -- statements -------------------------------------------------------
    def block(self, stmts, zero: LoggedSet) -> tuple[list, LoggedSet]:
        """The tangent code of `stmts`, and the tangents zero after them:
        `zero` (those zero before them), changed in place (LoggedSet: a branch
        or loop takes back its body's changes)."""
        out: list = []
        for stmt in stmts:
            code, zero = self.statement(stmt, zero)
            out.extend(code)
        return out, zero

    def trial_block(self, stmts, zero: LoggedSet) -> None:
        """`block`'s changes to `zero`, from a walk that leaves out the code
        of the tangents of rule applications (what is code is thrown away)."""
        dry, self.dry = self.dry, True
        try:
            self.block(stmts, zero)
        finally:
            self.dry = dry

    def statement(self, stmt, zero: LoggedSet) -> tuple[list, LoggedSet]:
        """The tangent code of `stmt`, and the tangents zero after it: `zero`,
        updated in place."""
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0].id
            made = self.assignment(stmt, target, stmt.value, zero)
            # A tangent carries the line of its statement: tracebacks and
            # check_finite name the user's line for it too.
            made = [s if getattr(s, "lineno", None) else nodes.copy_location(s, stmt)
                    for s in made]
            if target in zero:
                # Where the zero tangent goes if `target` turns out unstarted.
                made.append(_BoundWithZero(target, stmt))
            return made, zero
        if isinstance(stmt, gast.Expr):
            return self.expression(stmt, zero), zero
        if isinstance(stmt, gast.If):
            body, orelse, only_body, only_orelse = branch_zero(self.block, stmt.body,
                                                               stmt.orelse, zero)
            # A variable the other branch made non-zero gets a zero tangent at the
            # end of this one, if this branch leaves it bound (otherwise only the
            # other branch binds it, and nothing after the branch can read it here).
            after_body, after_orelse = self.defined_at_branch_ends[id(stmt)]
            body += [self._init(v) for v in sorted(v for v in only_body if v in after_body)]
            orelse += [self._init(v) for v in sorted(v for v in only_orelse if v in after_orelse)]
            # (one not surely bound at a branch's end may be bound still, by an
            # earlier loop or branch: its zero tangent is written there, forward())
            self.unstarted |= {v for v in only_body if v not in after_body} | \
                {v for v in only_orelse if v not in after_orelse}
            return [nodes.copy_location(nodes.if_(stmt.test, body, orelse), stmt)], zero
        if isinstance(stmt, (gast.While, gast.For)):
            return self.loop(stmt, zero)
        if isinstance(stmt, (gast.Pass, gast.Assert, gast.Raise, gast.Return)):
            return ([] if isinstance(stmt, gast.Return) else [stmt]), zero
        raise UnsupportedSyntaxError(
            f"'{type(stmt).__name__}' statements cannot be differentiated",
            self.ctx.parsed.location(stmt))

    def _init(self, variable: str) -> gast.AST:
        return nodes.assign(self.tangent(variable), self._zero(variable))

    def loop(self, stmt, zero: LoggedSet) -> tuple[list, LoggedSet]:
        body, not_zero_in_loop, zero_at_body_end = loop_fixpoint(
            stmt, self.block, zero, self.ctx, self.activity, self.trial_block)
        body += [self._init(v) for v in sorted(zero_at_body_end)]
        # Tangents that become non-zero inside the loop start at zero, if their
        # variable exists before the loop (otherwise the body assigns it first).
        defined = self.defined_at_entry.get(id(stmt), ())
        before = [self._init(v) for v in sorted(v for v in not_zero_in_loop if v in defined)]
        self.unstarted |= {v for v in not_zero_in_loop if v not in defined}
        if isinstance(stmt, gast.While):
            node = nodes.while_(stmt.test, body)
        else:
            node = nodes.for_(stmt.target.id, stmt.iter, body)
        return before + [nodes.copy_location(node, stmt)], zero

    def expression(self, stmt: gast.Expr, zero: set) -> list:
        call = stmt.value
        if self.activity.passes_active_list(call):
            self.named_unused = True
            return self.user_call(stmt, self.ctx.namer.fresh("_unused"), call,
                                  primitive_of(call), set(zero))
        if nodes.list_method(call, "append") and self.activity.is_active(call.func.value):
            store = call.func.value.id
            before = self._list_in_step(store, zero)
            value = call.args[0]
            # Inactive values (trip counts, branch flags) get a zero tangent so that
            # the tangent list stays in step with the list itself; a zero, because
            # the function that pops it may see the value as active.
            tangent = self._tangent_of(value, zero) if isinstance(value, gast.Name) \
                else nodes.const(0.0)
            if isinstance(value, gast.Name) and not self.activity.is_active(value):
                # zeros_like even among Python numbers: an inactive value may be
                # a loop's range, whose popper iterates `_range[::-1]` and
                # slices this zero alongside.
                tangent = nodes.call(nodes.name(self.ctx.helper("zeros_like")),
                                     [nodes.name(value.id)])
            push = nodes.expr_stmt(nodes.call(
                nodes.attribute(nodes.name(self.tangent(store)), "append"), [tangent]))
            return before + [stmt, push]
        if nodes.list_method(call, "pop") and self.activity.is_active(call.func.value):
            before = self._list_in_step(call.func.value.id, zero)
            pop = nodes.call(nodes.attribute(nodes.name(self.tangent(call.func.value.id)), "pop"))
            return before + [stmt, nodes.expr_stmt(pop)]
        return [stmt]

    def _list_in_step(self, store: str, zero: set) -> list:
        """A list whose tangent is still zero (built by a call, say `zeros_like`)
        gets its tangent list, one zero per element, before a push or pop needs it."""
        if store not in zero:
            return []
        zero.discard(store)
        zeros = nodes.call(nodes.name(self.ctx.helper("zeros_like")), [nodes.name(store)])
        return [nodes.assign(self.tangent(store), zeros)]

    def assignment(self, stmt, target: str, rhs: gast.AST, zero: set) -> list:
        primal = nodes.copy_location(nodes.assign(target, rhs), stmt)
        if self.activity.passes_active_list(rhs):
            return self.user_call(stmt, target, rhs, primitive_of(rhs), zero)
        if isinstance(rhs, gast.Name):  # (check_list_alias looks at copies only)
            check_list_alias(target, rhs, self.activity, self.location(stmt))
        if target not in self.activity.active:
            if nodes.list_method(rhs, "pop") and self.activity.is_active(rhs.func.value):
                # Keep the tangent list in step even when this value is inactive.
                before = self._list_in_step(rhs.func.value.id, zero)
                pop = nodes.attribute(nodes.name(self.tangent(rhs.func.value.id)), "pop")
                return before + [primal, nodes.expr_stmt(nodes.call(pop))]
            return [primal]
        if nodes.list_method(rhs, "pop") and self.activity.is_active(rhs.func.value):
            store = rhs.func.value.id
            before = self._list_in_step(store, zero)
            pop = nodes.call(nodes.attribute(nodes.name(self.tangent(store)), "pop"))
            zero.discard(target)
            return before + [primal, nodes.assign(self.tangent(target), pop)]
        if isinstance(rhs, gast.List) and not rhs.elts:
            zero.discard(target)
            return [primal, nodes.assign(self.tangent(target), gast.List(elts=[],
                                                                         ctx=gast.Load()))]
        if isinstance(rhs, (gast.Tuple, gast.List)) and (
                not nodes.is_atom(rhs) or target in self.activity.lists):
            # A list that is appended to later needs its tangent list from the start.
            if target not in self.activity.lists and not any(
                    self.activity.is_active(e) and e.id not in zero for e in rhs.elts
                    if isinstance(e, gast.Name)):
                zero.add(target)
                return [primal]
            tangents = [self._tangent_of(e, zero) for e in rhs.elts]
            zero.discard(target)
            return [primal, nodes.assign(self.tangent(target), type(rhs)(elts=tangents,
                                                                         ctx=gast.Load()))]
        if isinstance(rhs, gast.Dict):
            if not any(self.activity.is_active(v) and v.id not in zero for v in rhs.values
                       if isinstance(v, gast.Name)):
                zero.add(target)
                return [primal]
            tangents = gast.Dict(keys=[nodes.clone(k) for k in rhs.keys],
                                 values=[self._tangent_of(v, zero) for v in rhs.values])
            zero.discard(target)
            return [primal, nodes.assign(self.tangent(target), tangents)]
        join = list_join(rhs, self.activity, target)
        if join is not None:
            code = self.list_join(primal, target, join, zero)
            if isinstance(rhs, gast.BinOp):
                # `[a, b] + array` is NumPy's sum, not a join: checked when it runs.
                code.insert(1, nodes.copy_location(nodes.expr_stmt(nodes.call(
                    nodes.name(self.ctx.helper("check_joined")),
                    [nodes.name(target), nodes.const(self.location(stmt).file_line)])),
                    stmt))
            return code
        operation = classify(rhs, self.activity, self.location(stmt))
        if operation.kind == "copy":
            if self.activity.is_active(rhs) and rhs.id not in zero:
                zero.discard(target)
                return [primal, nodes.assign(self.tangent(target),
                                             nodes.name(self.tangent(rhs.id)))]
            zero.add(target)
            return [primal]
        if operation.kind == "user":
            return self.user_call(stmt, target, rhs, operation.primitive, zero)
        if operation.kind != "rule":
            zero.add(target)
            return [primal]
        # A tuple or list operand of a NumPy function is read as an array,
        # its tangent too (sequence_operands.py: `[da, db] * 2` would repeat).
        # (A trial round, `dry`, writes no code: which tangents are zero is
        # what it is for, and that depends only on which terms there are.)
        bindings = None if self.dry else dict(sequence_operands.array_bindings(
            operation, self.activity, self.sequence_names, self.parameters, self.ctx),
            result=nodes.name(target))
        terms, contributors = [], set()
        for param in operation.rule.adjoint:
            atom = operation.bound[param]
            if isinstance(atom, (gast.List, gast.Tuple)):
                # A literal argument (np.stack([a, b])): its tangent is the literal
                # of its elements' tangents, zeros for constants and inactive ones.
                if not any(self.activity.is_active(n) and n.id not in zero
                           for _, n in literal_names(atom)):
                    continue
                if not self.dry:
                    bindings["g"] = self._literal_tangent(atom, zero)
                if not self.dry and sequence_operands.reads_sequences_as_arrays(operation):
                    bindings["g"] = nodes.call(nodes.name(self.ctx.helper("array_tangent")),
                                               [bindings["g"], nodes.clone(atom)])
            elif self.activity.is_active(atom) and atom.id not in zero:
                if not self.dry:
                    bindings["g"] = sequence_operands.array_tangent(
                        operation, atom, nodes.name(self.tangent(atom.id)), self.activity,
                        self.sequence_names, self.ctx, param, self.parameters)
            else:
                continue
            if param not in operation.rule.tangent:
                raise NoDerivativeRuleError(
                    f"{operation.rule.name} has a reverse-mode derivative only (a vjp), and "
                    "forward mode needs its Jacobian-vector product",
                    self.location(stmt),
                    help="Give it one (ad.custom_gradient(vjp=..., jvp=...)), or use reverse "
                    "mode: ad.grad, ad.vjp, and for a Hessian grad of grad.")
            terms.append(None if self.dry else
                         instantiate(operation.rule.tangent[param], bindings, self.ctx))
            contributors.add(param)
        if not terms:
            zero.add(target)
            return [primal]
        if self.dry:
            zero.discard(target)
            return [primal]
        check = runtime_check(operation, self.ctx, self.location(stmt))
        primal = [primal] if check is None else [check, primal]
        total = terms[0]
        for term in terms[1:]:
            total = nodes.call(nodes.name(self.ctx.helper("add_adjoints")), [total, term]) \
                if target in self.activity.tuples else nodes.add(total, term)
        if operation.primitive is operator.add and len(terms) > 1 and \
                target in self.activity.tuples:
            # `t + s` may join tuples (a helper's results, arguments), whose
            # tangent is not add_adjoints' entry-by-entry sum: refused then.
            total = nodes.call(nodes.name(self.ctx.helper("sequence_tangent")), [
                total, nodes.name(target),
                nodes.const(self.location(stmt).file_line)])
        # The terms of an elementwise rule span the result's shape once every
        # variable operand has contributed; otherwise spread the sum to it.
        rule = operation.rule
        if rule.pointwise and not self.ctx.numbers and any(
                isinstance(operation.bound[p], gast.Name) and p not in contributors
                for p in rule.adjoint):
            total = nodes.call(nodes.name(self.ctx.helper("broadcast_like")),
                               [total, nodes.name(target)])
        if target in self.activity.lists and isinstance(total, gast.Name):
            # A rule's list is a new one (`dL = add_adjoints(zeros_like(L), dL)`
            # in a generated adjoint): so is its tangent list, else popping it
            # would empty the tangent of the list it was made from, which a
            # stack may still hold.
            total = nodes.call(nodes.name(self.ctx.helper("add_adjoints")), [
                nodes.call(nodes.name(self.ctx.helper("zeros_like")), [nodes.name(target)]),
                total])
        zero.discard(target)
        return [*primal, nodes.assign(self.tangent(target), total)]

    def list_join(self, primal, target: str, join, zero: set) -> list:
        """`T = L + M` (or L.extend(M)): T's tangent list is L's joined to M's,
        `dT = joined(dL, dM)`; `T = L * n`: L's repeated, `dT = repeated(dL, n)`.
        An operand without a tangent joins zeros, one per entry."""
        operands = [join.first] if join.kind == "repeat" else [join.first, join.second]
        if not any(self.activity.is_active(a) and a.id not in zero for a in operands):
            zero.add(target)
            return [primal]

        def tangent(atom) -> gast.AST:
            if isinstance(atom, gast.Name):
                return self._tangent_of(atom, zero)
            return nodes.call(nodes.name(self.ctx.helper("zeros_like")), [nodes.clone(atom)])

        if join.kind == "repeat":
            total = nodes.call(nodes.name(self.ctx.helper("repeated")),
                               [tangent(join.first), nodes.clone(join.second)])
        else:
            total = nodes.call(nodes.name(self.ctx.helper("joined")),
                               [tangent(join.first), tangent(join.second)])
        zero.discard(target)
        return [primal, nodes.assign(self.tangent(target), total)]

    def user_call(self, stmt, target: str, rhs: gast.Call, function, zero: set) -> list:
        location = self.ctx.parsed.location(stmt)
        bound = bind_user_call(function, rhs, location)
        # A list whose tangent is still zero (`d_stack = zeros_like(_stack)` in a
        # generated adjoint) gets its tangent list: the callee may push values
        # with tangents onto it, which its caller pops later.
        before = [init for arg in nodes.call_arguments(rhs)
                  if self.activity.is_active_list(arg)
                  for init in self._list_in_step(arg.id, zero)]
        active, arity = bound.differentiated(
            lambda atom: self.activity.is_active(atom) and atom.id not in zero)
        if not active:
            zero.add(target)
            return before + [nodes.copy_location(nodes.assign(target, rhs), stmt)]
        jvp_name = self.ctx.callee_jvp(function, active, location, arity)
        # The callee's jvp takes the tangents first, then the call's own arguments.
        call = bound.generated_call(rhs)
        call.func = nodes.name(jvp_name)
        call.args = [nodes.name(self.tangent(bound.atom(i).id)) for i in active] + list(call.args)
        zero.discard(target)
        unpack = nodes.tuple_([nodes.name(target, "store"),
                               nodes.name(self.tangent(target), "store")], "store")
        return before + [nodes.copy_location(nodes.assign(unpack, call), stmt)]


def forward(function: gast.FunctionDef, ctx: Context, activity: Activity,
            zero_at_start: set) -> tuple[list, set]:
    """The function's body with tangents; returns it and the zero set at the end."""
    walker = _Forward(function, ctx, activity)
    walker.defined_at_entry, walker.defined_at_branch_ends = _definitely_defined(function)
    body, zero = walker.block(function.body, LoggedSet(zero_at_start))
    if walker.unstarted and walker.named_unused:
        # Generated again, as the code was first written, whose second walk
        # named these values anew (`_unused2`): the same text.
        again = _Forward(function, ctx, activity)
        again.defined_at_entry, again.defined_at_branch_ends = \
            walker.defined_at_entry, walker.defined_at_branch_ends
        body, zero = again.block(function.body, LoggedSet(zero_at_start))
    # The unstarted variables' zero tangents go where they are bound with a
    # zero tangent, so that the loop finds them wherever Python finds the
    # variable bound. Which those are is known at the end only; each place
    # was marked as the code was generated (the zero sets do not depend on
    # these statements: a second walk would only write them).
    return _placed_zeros(body, walker), zero


class _BoundWithZero:
    """A mark in generated code, after `variable = ...` (statement `stmt`)
    left its tangent zero: `_placed_zeros` writes the zero tangent there if
    the variable is unstarted, and drops the mark otherwise."""

    __slots__ = ("variable", "stmt")

    def __init__(self, variable: str, stmt):
        self.variable, self.stmt = variable, stmt


def _placed_zeros(stmts: list, walker: _Forward) -> list:
    """`stmts` with each _BoundWithZero mark replaced by what it stands for."""
    out = []
    unstarted = walker.unstarted
    for stmt in stmts:
        kind = stmt.__class__
        if kind is _BoundWithZero:
            if stmt.variable in unstarted:
                out.append(nodes.copy_location(walker._init(stmt.variable), stmt.stmt))
            continue
        if kind is gast.If:
            stmt.body = _placed_zeros(stmt.body, walker)
            stmt.orelse = _placed_zeros(stmt.orelse, walker)
        elif kind is gast.For or kind is gast.While:
            stmt.body = _placed_zeros(stmt.body, walker)
        out.append(stmt)
    return out


def _definitely_defined(function: gast.FunctionDef) -> tuple[dict, dict]:
    """The variables certainly bound where each loop starts, and at the end of
    each branch of each `if`, as _Bound views (`name in view`): a copy of
    the names bound at each of those places took time quadratic in the
    length of a Hessian's gradient code (issue #13: thousands of names, at
    each of hundreds of loops and branches)."""
    at_entry: dict = {}
    at_branch_ends: dict = {}
    clock = [0]

    def bind(scope: _Scope, name: str) -> None:
        if name not in scope.own:
            scope.own[name] = clock[0]
            clock[0] += 1

    def walk(stmts, scope: _Scope) -> None:
        for stmt in stmts:
            if isinstance(stmt, gast.Assign):
                # A normalised value binds no name (anf.py's rhs): its target does.
                target = stmt.targets[0]
                if target.__class__ is gast.Name:
                    bind(scope, target.id)
                else:
                    for name in nodes.names_stored(target):
                        bind(scope, name)
            elif isinstance(stmt, gast.If):
                # Each branch binds in a scope of its own, seeing what was
                # bound before the `if` (no name is bound here meanwhile).
                body = _Scope(scope, clock[0])
                walk(stmt.body, body)
                orelse = _Scope(scope, clock[0])
                walk(stmt.orelse, orelse)
                after_body, after_orelse = _Bound(body, clock[0]), _Bound(orelse, clock[0])
                at_branch_ends[id(stmt)] = (after_body, after_orelse)
                # Bound after the `if`: what both branches bound.
                for name in [n for n in body.own if n in after_orelse]:
                    bind(scope, name)
            elif isinstance(stmt, (gast.While, gast.For)):
                at_entry[id(stmt)] = _Bound(scope, clock[0])
                inner = _Scope(scope, clock[0])
                if isinstance(stmt, gast.For):
                    bind(inner, stmt.target.id)
                walk(stmt.body, inner)

    root = _Scope(None, 0)
    for name in nodes.parameters(function):
        bind(root, name)
    walk(function.body, root)
    return at_entry, at_branch_ends


class _Scope:
    """The names a block binds, each with the time it was first bound, over
    the names bound before the block (`parent`, as of time `start`)."""

    __slots__ = ("parent", "start", "own")

    def __init__(self, parent: "_Scope | None", start: int):
        self.parent, self.start, self.own = parent, start, {}


class _Bound:
    """The names bound in `scope` (and in the scopes around it) before `time`."""

    __slots__ = ("scope", "time")

    def __init__(self, scope: _Scope, time: int):
        self.scope, self.time = scope, time

    def __contains__(self, name: str) -> bool:
        scope, time = self.scope, self.time
        while scope is not None:
            bound = scope.own.get(name)
            if bound is not None and bound < time:
                return True
            scope, time = scope.parent, scope.start
        return False
