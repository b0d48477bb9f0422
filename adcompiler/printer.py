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

    numbered = _Number().visit(nodes.clone(tree))
    text = astor.to_source(gast.gast_to_ast(numbered), indent_with="    ")
    lines = []
    for line in text.splitlines():
        match = _MARKER.match(line)
        if match:
            lines.append(f"{match.group(1)}# {comments[int(match.group(3))]}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"
