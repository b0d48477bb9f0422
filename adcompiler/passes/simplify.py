"""Simplify: small clean-ups of generated code, so it reads as if hand-written.

Input and output: a generated FunctionDef. Propagates copies (`d_t5 = ds`
followed by uses of `d_t5` becomes uses of `ds`, when that is safe); puts a
temporary read only by the next statement back into it (`_t2 = _t1 + b;
H = np.tanh(_t2)` becomes `H = np.tanh(_t1 + b)`, so that the array is freed
once used); and removes `pass` statements from blocks that have other
statements, comments that repeat an earlier one in the block (several
normalised statements come from one source line), and comments that end a
block with nothing after them.

    # line 3: y = x * 2              # line 3: y = x * 2
    d_t1 = dy                ->      dx = dy * 2
    dx = d_t1 * 2
    # line 3: y = x * 2
"""

from __future__ import annotations

import re

import gast

from .. import nodes


def _clean_block(stmts: list) -> list:
    out = []
    seen_comments = set()
    for stmt in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list) and field in stmt._fields:
                cleaned = _clean_block(getattr(stmt, field))
                if field == "body" and not cleaned:
                    cleaned = [gast.Pass()]
                setattr(stmt, field, cleaned)
        if nodes.is_comment(stmt):
            if stmt.value.value in seen_comments:
                continue
            seen_comments.add(stmt.value.value)
        out.append(stmt)
    while out and nodes.is_comment(out[-1]):
        out.pop()
    out = [s for s in out if not isinstance(s, gast.Pass)]
    # A block of comments alone is not valid Python; the caller puts `pass` there.
    return out if any(not nodes.is_comment(s) for s in out) else []


def _stores(node) -> set:
    return nodes.names_stored(node)


class _Propagate:
    """Remove `a = b` and read `b` wherever `a` was read, when: `a` is assigned
    nowhere else in the function, every read of `a` follows in the same block,
    and `b` is not reassigned before the last of them.

    The reads and writes of a statement (the Name nodes of each name) are
    collected when a copy's test first asks for them, and kept up to date as
    reads are renamed: a copy's reads follow it closely, so most statements
    are never looked at (a tenth of those of a 500-line gradient are:
    issue #13)."""

    def __init__(self, counts: nodes.NameCounts):
        # Bindings (parameters included) and reads of each name in the
        # function's tree as it stands, kept so by every rewrite below: a
        # block's statements leave the tree when the block is done with.
        self.assignments, self.reads = counts.stores, counts.loads

    def block(self, stmts: list) -> list:
        for stmt in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
        facts = _BlockFacts(stmts)
        removed = [False] * len(stmts)
        for index in range(len(stmts)):
            if self._propagate(stmts, facts, index):
                removed[index] = True
        out = []
        for index, stmt in enumerate(stmts):
            # `ds = ds`, left where the source was restored from its own copy.
            if removed[index] or _self_copy(stmt):
                for name, loads in facts[index].loads.items():
                    self.reads[name] -= len(loads)
                if not removed[index]:
                    self.assignments[stmt.targets[0].id] -= 1
            else:
                out.append(stmt)
        return out

    def _propagate(self, stmts, facts, index: int) -> bool:
        stmt = stmts[index]
        if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                and isinstance(stmt.value, gast.Name)):
            return False
        copy, source = stmt.targets[0].id, stmt.value.id
        if self.assignments[copy] != 1 or copy == source:
            return False
        # The statements after it that read the copy, until they account for
        # every read of it in the function (the counts are exact: no
        # statement further on can read it).
        later, found, reads = [], 0, self.reads[copy]
        # (The facts known are read from the list itself: a copy read at the
        # end of a long gradient's body looks at thousands of statements, most
        # of them looked at before, issue #13.)
        known = facts.known
        for p in range(index + 1, len(stmts)):
            if found >= reads:
                break
            fact = known[p]
            if fact is None:
                fact = facts[p]
            loads = fact.loads.get(copy)
            if loads:
                later.append(p)
                found += len(loads)
        if not later or found != reads:
            return False
        last = later[-1]
        # The statement that reads the copy last may reassign the source after
        # reading it (`ds = d_t5`), unless it is a loop or branch. Before it, the
        # source may be given back its own value (`ds = d_t5` again, as reverse
        # mode writes a first adjoint contribution), which becomes `ds = ds`.
        # (Every statement before it had its facts read above.)
        end = last if isinstance(stmts[last], gast.Assign) else last + 1
        for p in range(index + 1, end):
            if source in known[p].stores and not _copies(stmts[p], source, copy):
                return False
        for p in later:
            loads = facts[p].loads.pop(copy)
            for n in loads:
                n.id = source
            if source not in facts[p].loads:
                facts[p].loads[source] = []
            facts[p].loads[source].extend(loads)
            self.reads[copy] -= len(loads)
            self.reads[source] += len(loads)
        self.assignments[copy] -= 1
        return True


class _BlockFacts:
    """`facts[position]`: the _Facts of the statement at `position` in a
    block, collected when first asked for."""

    __slots__ = ("stmts", "known")

    def __init__(self, stmts: list):
        self.stmts, self.known = stmts, [None] * len(stmts)

    def __getitem__(self, position: int) -> "_Facts":
        facts = self.known[position]
        if facts is None:
            facts = self.known[position] = _Facts(self.stmts[position])
        return facts


class _Facts:
    """The Name nodes a statement reads, by name, and the names it binds."""

    __slots__ = ("loads", "stores")

    def __init__(self, stmt):
        self.loads, self.stores = nodes.name_uses([stmt])


def _copies(stmt, target: str, source: str) -> bool:
    """Whether `stmt` is `target = source`."""
    return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
        and stmt.targets[0].id == target and isinstance(stmt.value, gast.Name) \
        and stmt.value.id == source


def _self_copy(stmt) -> bool:
    return isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name) \
        and _copies(stmt, stmt.value.id, stmt.value.id)


class _Rewrite:
    """A rewrite of each block, innermost first, knowing how often each name is
    assigned and read in the whole function; `place` puts one statement of
    the block after those already placed, rewriting them or it."""

    def __init__(self, counts: "_Propagate"):
        # The counts the earlier rewrites kept up to date, not counted again.
        self.assignments = counts.assignments
        self.reads = counts.reads

    def block(self, stmts: list) -> list:
        for stmt in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
        out: list = []
        for stmt in stmts:
            self.place(out, stmt)
        return out

    def place(self, out: list, stmt) -> None:
        raise NotImplementedError


class _Merge(_Rewrite):
    """Compute a temporary straight into the variable it is then copied to,
    `_t12 = d_t9 + ds; ...; d_t9 = _t12` -> `d_t9 = d_t9 + ds; ...`, when: the
    temporary is assigned once and read once in the function, by that copy,
    later in the same block, and the statements between neither read nor
    write the variable. (The normaliser gives an update of a variable from
    its own old value a temporary, for the derivative that may read the old
    value; once the derivative is written out, the temporary costs a
    statement per iteration, and forward mode doubles it with the tangent.)"""

    def place(self, out: list, stmt) -> None:
        if not self._merge(out, stmt):
            out.append(stmt)

    def _merge(self, before: list, copy) -> bool:
        if not (isinstance(copy, gast.Assign) and isinstance(copy.targets[0], gast.Name)
                and isinstance(copy.value, gast.Name)):
            return False
        variable, temporary = copy.targets[0].id, copy.value.id
        if not (_MERGED.fullmatch(temporary) and self.assignments[temporary] == 1
                and self.reads[temporary] == 1 and variable != temporary):
            return False
        for position in range(len(before) - 1, -1, -1):
            stmt = before[position]
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                    and stmt.targets[0].id == temporary:
                stmt.targets[0].id = variable
                self.assignments[temporary] -= 1
                self.reads[temporary] -= 1  # by the copy, now dropped
                return True
            if variable in nodes.names_loaded(stmt) | _stores(stmt):
                return False
        return False


# The temporaries normalisation introduces (anf.py), the only names substituted.
_TEMPORARY = re.compile(r"_t[0-9]+")
# Those, and their tangents and adjoints (`d_t12`, `dd_t12`), the names merged.
_MERGED = re.compile(r"d*_t[0-9]+")


class _Substitute(_Rewrite):
    """Put the value of a temporary back where it is read, `_t2 = _t1 + b;
    H = np.tanh(_t2)` -> `H = np.tanh(_t1 + b)`, when: the temporary is
    assigned once and read once in the function, by the next statement of the
    same block (an assignment), and nothing but names and constants is
    evaluated in that statement before the read. Evaluation order is then
    unchanged, and the value dies as soon as it is used instead of living until
    the function returns: the primal sweep keeps alive only what the adjoint
    sweep reads, and a large array function keeps a smaller working set."""

    def place(self, out: list, stmt) -> None:
        if self._substitute(out[-1] if out else None, stmt):
            out.pop()
        out.append(stmt)

    def _substitute(self, definition, reader) -> bool:
        if not (isinstance(definition, gast.Assign) and len(definition.targets) == 1
                and isinstance(definition.targets[0], gast.Name)
                and isinstance(reader, gast.Assign)):
            return False
        temporary = definition.targets[0].id
        if not (_TEMPORARY.fullmatch(temporary) and self.assignments[temporary] == 1
                and self.reads[temporary] == 1):
            return False
        read = _first_operation(reader.value, temporary)
        if read is None:
            return False
        parent, field, position = read
        if position is None:
            setattr(parent, field, definition.value)
        else:
            getattr(parent, field)[position] = definition.value
        self.assignments[temporary] -= 1
        self.reads[temporary] -= 1
        return True


# Expressions that evaluate their children in field order, then themselves.
_IN_ORDER = (gast.Call, gast.BinOp, gast.UnaryOp, gast.Compare, gast.Subscript,
             gast.Attribute, gast.Tuple, gast.List, gast.keyword)
# Of those, the ones that only read: they may run before the substituted value.
_READS = (gast.Attribute, gast.Tuple, gast.List, gast.keyword)


def _first_operation(node, name: str):
    """(parent, field, index or None) of the read of `name` in expression
    `node`, when everything evaluated before that read is a name, a constant
    or an attribute of one (no operation the substituted value would move
    past); None otherwise."""
    found = _find(node, name)
    return found if isinstance(found, tuple) else None


def _find(node, name: str):
    """The read's location; True when `node` was evaluated without the read
    and without an operation; False to give up."""
    if isinstance(node, (gast.Name, gast.Constant)):
        return True
    if not isinstance(node, _IN_ORDER):
        return False
    for field in node._fields:
        value = getattr(node, field)
        children = enumerate(value) if isinstance(value, list) else [(None, value)]
        for position, child in children:
            if not isinstance(child, gast.expr) and not isinstance(child, gast.keyword):
                continue  # contexts, operators, missing optional fields
            if isinstance(child, gast.Name) and child.id == name:
                return node, field, position
            found = _find(child, name)
            if found is not True:
                return found
    return isinstance(node, _READS)


def simplify(function: gast.FunctionDef,
             names: nodes.NameCounts | None = None) -> gast.FunctionDef:
    """Simplify `function` in place (see the module docstring). `names`, the
    function's NameCounts if known (counted here when None), are kept exact."""
    counts = _Propagate(names if names is not None else nodes.NameCounts(function))
    function.body = counts.block(function.body)
    function.body = _Merge(counts).block(function.body)
    function.body = _Substitute(counts).block(function.body)
    function.body = _clean_block(function.body)
    return function

