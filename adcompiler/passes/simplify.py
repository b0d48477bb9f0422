"""Simplify: small clean-ups of generated code, so it reads as if hand-written.

Input and output: a generated FunctionDef. Propagates copies (`d_t5 = ds`
followed by uses of `d_t5` becomes uses of `ds`, when that is safe), removes
`pass` statements from blocks that have other statements, comments that repeat
an earlier one in the block (several normalised statements come from one
source line), and comments that end a block with nothing after them.

    # line 3: y = x * 2              # line 3: y = x * 2
    d_t1 = dy                ->      dx = dy * 2
    dx = d_t1 * 2
    # line 3: y = x * 2
"""

from __future__ import annotations


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
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, (gast.Store, gast.Param))}


def _loads(node, name: str) -> int:
    return sum(1 for n in gast.walk(node) if isinstance(n, gast.Name)
               and isinstance(n.ctx, gast.Load) and n.id == name)


class _Propagate:
    """Remove `a = b` and read `b` wherever `a` was read, when: `a` is assigned
    nowhere else in the function, every read of `a` follows in the same block,
    and `b` is not reassigned before the last of them."""

    def __init__(self, function: gast.FunctionDef):
        self.function = function
        self.assignments = nodes.assignment_counts(function)

    def block(self, stmts: list) -> list:
        for stmt in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
        out = list(stmts)
        index = 0
        while index < len(out):
            if self._propagate(out, index):
                del out[index]
            else:
                index += 1
        return out

    def _propagate(self, stmts: list, index: int) -> bool:
        stmt = stmts[index]
        if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                and isinstance(stmt.value, gast.Name)):
            return False
        copy, source = stmt.targets[0].id, stmt.value.id
        if self.assignments[copy] != 1 or copy == source:
            return False
        rest = stmts[index + 1:]
        readers = [k for k, s in enumerate(rest) if _loads(s, copy)]
        if not readers or sum(_loads(s, copy) for s in rest) != _loads(self.function, copy):
            return False
        last = readers[-1]
        # The statement that reads the copy last may reassign the source after
        # reading it (`ds = d_t5`), unless it is a loop or branch.
        before_last = rest[:last] + ([] if isinstance(rest[last], gast.Assign) else [rest[last]])
        if any(source in _stores(s) for s in before_last):
            return False
        for s in rest[:last + 1]:
            for n in gast.walk(s):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id == copy:
                    n.id = source
        self.assignments[copy] -= 1
        return True


def simplify(function: gast.FunctionDef) -> gast.FunctionDef:
    function.body = _Propagate(function).block(function.body)
    function.body = _clean_block(function.body)
    return function
