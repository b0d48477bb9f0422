"""The one place astor is used: gast trees -> readable Python source.

ASTs carry no comments, so passes insert `nodes.comment(text)` marker
statements; the printer turns each into a `# text` line.
"""

from __future__ import annotations

import re

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

    class _Number(gast.NodeTransformer):
        def visit_Expr(self, node):
            if nodes.is_comment(node):
                comments.append(node.value.value[len(nodes.COMMENT_MARK):])
                return gast.Expr(value=gast.Constant(
                    value=f"{nodes.COMMENT_MARK}{len(comments) - 1}", kind=None))
            return self.generic_visit(node)

    class _NegativeConstants(gast.NodeTransformer):
        # astor prints a negative constant as a bare `-1.5`, which binds more
        # loosely than `**` (`-1.5 ** 2` is -2.25); as a unary minus it is
        # parenthesised where precedence needs it.
        def visit_Constant(self, node):
            value = node.value
            if isinstance(value, (int, float)) and not isinstance(value, bool) and (
                    value < 0 or (value == 0 and str(value).startswith("-"))):
                return gast.UnaryOp(op=gast.USub(), operand=gast.Constant(value=-value,
                                                                          kind=None))
            return node

    numbered = _NegativeConstants().visit(_Number().visit(nodes.clone(tree)))
    text = astor.to_source(gast.gast_to_ast(numbered), indent_with="    ")
    lines = []
    for line in text.splitlines():
        match = _MARKER.match(line)
        if match:
            lines.append(f"{match.group(1)}# {comments[int(match.group(3))]}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"
