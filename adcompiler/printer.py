"""The one place astor is used: gast trees -> readable Python source.

ASTs carry no comments, so passes insert `nodes.comment(text)` marker
statements; the printer turns each into a `# text` line.
"""

from __future__ import annotations

import re

import ast

import astor
import gast

from . import nodes

_MARKER = re.compile(r"^(\s*)(['\"])\\x00adcomment:(\d+)\2\s*$")


def to_source(tree: gast.AST) -> str:
    """Python source for a gast tree, with comment markers as comments.

    Example:
        >>> print(to_source(nodes.module([nodes.comment("hi"), nodes.assign("x", nodes.const(1))])))
        # hi
        x = 1
        <BLANKLINE>
    """
    comments: list[str] = []
    # gast_to_ast builds a new tree, so the rewrites below leave `tree` as it was.
    printed = gast.gast_to_ast(tree)
    _prepare(printed, comments)
    text = astor.to_source(printed, indent_with="    ")
    lines = []
    for line in text.splitlines():
        match = _MARKER.match(line)
        if match:
            lines.append(f"{match.group(1)}# {comments[int(match.group(3))]}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def _prepare(tree: ast.AST, comments: list) -> None:
    """Number the comment markers (their text goes into `comments`) and write
    negative constants as a unary minus, in one walk over the printed tree.

    astor prints a negative constant as a bare `-1.5`, which binds more
    loosely than `**` (`-1.5 ** 2` is -2.25); as a unary minus it is
    parenthesised where precedence needs it."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        new = _rewritten(item, comments)
                        if new is item:
                            stack.append(item)
                        else:
                            value[index] = new
            elif isinstance(value, ast.AST):
                new = _rewritten(value, comments)
                if new is value:
                    stack.append(value)
                else:
                    setattr(node, field, new)


def _rewritten(node: ast.AST, comments: list) -> ast.AST:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and \
            isinstance(node.value.value, str) and node.value.value.startswith(nodes.COMMENT_MARK):
        comments.append(node.value.value[len(nodes.COMMENT_MARK):])
        return ast.Expr(value=ast.Constant(value=f"{nodes.COMMENT_MARK}{len(comments) - 1}"))
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and (
                value < 0 or (value == 0 and str(value).startswith("-"))):
            return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value))
    return node
