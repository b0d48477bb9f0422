"""Simplify: small clean-ups of generated code, so it reads as if hand-written.

Input and output: a generated FunctionDef. Removes `pass` statements from
blocks that have other statements, comments that repeat the previous one
(several normalised statements come from one source line: its comment is
shown once per block), and comments that
end a block with nothing after them.

    # line 3: y = x * 2              # line 3: y = x * 2
    dx = dy * 2              ->      dx = dy * 2
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


def simplify(function: gast.FunctionDef) -> gast.FunctionDef:
    function.body = _clean_block(function.body)
    return function
