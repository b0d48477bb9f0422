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
    # A new tree, so the rewrites it makes leave `tree` as it was.
    printed = _printable(tree, comments)
    text = astor.to_source(printed, indent_with="    ")
    lines = []
    for line in text.splitlines():
        match = _MARKER.match(line)
        if match:
            lines.append(f"{match.group(1)}# {comments[int(match.group(3))]}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def _printable(node, comments: list):
    """The `ast` tree astor prints for a gast tree: what `gast.gast_to_ast`
    makes (several times faster: one function call per node, no visitor
    dispatch), with each comment marker numbered (its text goes into
    `comments`) and each negative constant written as a unary minus.

    astor prints a negative constant as a bare `-1.5`, which binds more
    loosely than `**` (`-1.5 ** 2` is -2.25); as a unary minus it is
    parenthesised where precedence needs it. Positions are not copied:
    astor prints none."""
    if isinstance(node, list):
        return [_printable(item, comments) for item in node]
    if not isinstance(node, gast.AST):
        return node
    kind = node.__class__
    special = _SPECIAL.get(kind)
    if special is not None:
        return special(node, comments)
    target = _TARGETS.get(kind)
    if target is None:
        target = _TARGETS[kind] = getattr(ast, kind.__name__)
    new = target()
    fields = node.__dict__
    for field in kind._fields:
        if field in fields:
            value = fields[field]
            setattr(new, field, value if value is None or value.__class__ in _LEAVES
                    else _printable(value, comments))
    return new


_TARGETS: dict = {}
_LEAVES = (str, int, float, bool)


def _expr(node, comments):
    value = node.value
    if isinstance(value, gast.Constant) and isinstance(value.value, str) and \
            value.value.startswith(nodes.COMMENT_MARK):
        comments.append(value.value[len(nodes.COMMENT_MARK):])
        return ast.Expr(value=ast.Constant(value=f"{nodes.COMMENT_MARK}{len(comments) - 1}"))
    return ast.Expr(value=_printable(value, comments))


def _constant(node, comments):
    value = node.value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and (
            value < 0 or (value == 0 and str(value).startswith("-"))):
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value))
    return ast.Constant(value=value, kind=node.kind)


def _argument(name, comments):
    if name is None:
        return None
    return ast.arg(arg=name.id, annotation=_printable(name.annotation, comments),
                   type_comment=name.type_comment)


def _arguments(node, comments):
    return ast.arguments(
        posonlyargs=[_argument(a, comments) for a in node.posonlyargs],
        args=[_argument(a, comments) for a in node.args],
        vararg=_argument(node.vararg, comments),
        kwonlyargs=[_argument(a, comments) for a in node.kwonlyargs],
        kw_defaults=_printable(node.kw_defaults, comments),
        kwarg=_argument(node.kwarg, comments),
        defaults=_printable(node.defaults, comments))


def _except_handler(node, comments):
    return ast.ExceptHandler(type=_printable(node.type, comments),
                             name=node.name.id if node.name else None,
                             body=_printable(node.body, comments))


def _function_def(node, comments):
    return ast.FunctionDef(
        name=node.name, args=_printable(node.args, comments),
        body=_printable(node.body, comments),
        decorator_list=_printable(node.decorator_list, comments),
        returns=_printable(node.returns, comments), type_comment=node.type_comment)


_CONTEXTS = {gast.Load: ast.Load, gast.Store: ast.Store, gast.Del: ast.Del}

_SPECIAL = {
    gast.Name: lambda node, comments: ast.Name(id=node.id, ctx=_CONTEXTS[type(node.ctx)]()),
    gast.Constant: _constant,
    gast.Expr: _expr,
    gast.arguments: _arguments,
    gast.ExceptHandler: _except_handler,
    gast.FunctionDef: _function_def,
    gast.Assign: lambda node, comments: ast.Assign(
        targets=_printable(node.targets, comments), value=_printable(node.value, comments)),
}
