"""The one place astor is used: gast trees -> readable Python source.

ASTs carry no comments, so passes insert `nodes.comment(text)` marker
statements; the printer turns each into a `# text` line.

The statements generated code is mostly made of (names bound to operations
on names and numbers, calls, branches, loops) are written by _Printer below,
as the text astor writes for them; astor prints everything else. Either way
the text is astor's, character for character (tests/test_printer.py).
"""

from __future__ import annotations

import ast
import math
import re

import astor
import astor.code_gen
import astor.op_util
import astor.source_repr
import gast

from . import nodes

_MARKER = re.compile(r"^(\s*)(['\"])\\x00adcomment:(\d+)\2\s*$")
_INDENT = "    "


def to_source(tree: gast.AST, lines: dict | None = None,
              statements: list | None = None) -> str:
    """Python source for a gast tree, with comment markers as comments.
    `lines`, if given, receives {id(statement): (its line, its depth)} for
    every statement printed (the text's lines, from 1; depth 0 at the left
    margin), and is left empty when not every statement's line is known.
    `statements`, if given, receives `(kind, lineno)` of each statement the
    text holds (comment markers are not statements there), in the text's
    order: the statements of `statements_in_order(tree)`, listed as they are
    printed (issue #13: a walk of each generated function less, for
    codegen's line map).

    Example:
        >>> print(to_source(nodes.module([nodes.comment("hi"), nodes.assign("x", nodes.const(1))])))
        # hi
        x = 1
        <BLANKLINE>
    """
    comments: list[str] = []
    text = None
    if isinstance(tree, (gast.Module, gast.FunctionDef)):
        text = _Printer(comments, lines, statements).source(tree)
    if text is None:
        text = _astor_source(tree, comments)
        if lines:
            lines.clear()
        if statements is not None:
            statements[:] = _kinds_and_lines(tree)
    return _with_comments(text, comments)


def statements_in_order(tree) -> list:
    """The statements of an `ast` or gast tree (`tree` itself, if one) in the
    order of their text: each before the statements of its blocks, the blocks
    in the order of their fields (an `if`'s body before its `else`, a `try`'s
    handlers before its `finally`)."""
    out = []
    stack = [tree]
    pop, push = stack.pop, stack.extend
    statement, expression = ast.stmt, ast.expr
    while stack:
        node = pop()
        if isinstance(node, statement):
            out.append(node)
        blocks = []
        for field in node._fields:
            value = getattr(node, field, None)
            # Lists of expressions (call arguments, targets) hold no statements.
            if value.__class__ is list and value and isinstance(value[0], ast.AST) and \
                    not isinstance(value[0], expression):
                blocks.extend(value)
        push(reversed(blocks))
    return out


def _kinds_and_lines(tree) -> list:
    """(kind, lineno) of each statement of gast `tree` in text order, comment
    markers (which print as comments) left out."""
    return [(node.__class__.__name__, getattr(node, "lineno", None))
            for node in statements_in_order(tree) if not nodes.is_comment(node)]


def astor_source(tree: gast.AST) -> str:
    """`to_source(tree)` printed by astor alone, for tests/test_printer.py to
    compare with."""
    comments: list[str] = []
    return _with_comments(_astor_source(tree, comments), comments)


def _astor_source(tree: gast.AST, comments: list) -> str:
    # A new tree, so the rewrites it makes leave `tree` as it was.
    return astor.to_source(_printable(tree, comments), indent_with=_INDENT)


def _with_comments(text: str, comments: list) -> str:
    if "adcomment:" not in text:
        # No marker left to replace (_Printer writes the comments it prints).
        return "\n".join(text.splitlines()) + "\n"
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


# -- printing the common statements without astor ------------------------------------
# Generated code is long (a Hessian's gradient code has tens of thousands of
# statements) and nearly all of it is a few kinds of statement: a name bound
# to an operation on names and numbers, a call, a branch, a loop. _Printer
# writes those itself, as the text astor writes for them: it parenthesises by
# astor's precedence table (astor.op_util) and by astor's rules for which
# child gets which precedence (astor/code_gen.py), and it hands to astor,
# at the same indentation, every line astor would wrap (longer than 79
# characters), every statement holding a string (whose quotes astor chooses
# by the line around it) and every kind of node it does not write. Building
# astor's `ast` copy of the whole tree and running its visitor took four
# times as long as writing the common statements directly.

_MAX_LINE = 79  # astor.source_repr.split_lines's default: longer lines are wrapped


class _Unsupported(Exception):
    """A node _Printer leaves to astor."""


def _precedence_of(name: str) -> int:
    return getattr(astor.op_util.Precedence, name)


_HIGHEST = astor.op_util.Precedence.highest
_COMMA = _precedence_of("Comma")
_ONE_ARGUMENT = _precedence_of("call_one_arg")
_CONSTANT = _precedence_of("Constant")
_POW = _precedence_of("Pow")
_POW_RIGHT = _precedence_of("PowRHS")
_OPERATORS = {}  # gast operator class -> (symbol, precedence), as astor.op_util has them
for _kind in (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Mod, gast.FloorDiv, gast.MatMult,
              gast.Pow, gast.LShift, gast.RShift, gast.BitOr, gast.BitXor, gast.BitAnd,
              gast.USub, gast.UAdd, gast.Not, gast.Invert, gast.And, gast.Or,
              gast.Eq, gast.NotEq, gast.Lt, gast.LtE, gast.Gt, gast.GtE, gast.Is, gast.IsNot,
              gast.In, gast.NotIn):
    _standard = getattr(ast, _kind.__name__)
    _OPERATORS[_kind] = (astor.op_util.symbol_data[_standard],
                         astor.op_util.precedence_data[_standard])
_STATEMENT_PRECEDENCE = {kind: _precedence_of(kind.__name__) for kind in (
    gast.Assign, gast.AugAssign, gast.Expr, gast.If, gast.For, gast.While, gast.Return)}
_COMPOUND = frozenset({gast.If, gast.For, gast.While})
_SUBSCRIPT = _precedence_of("Subscript")
_SLICE = _precedence_of("Slice")
_TUPLE = _precedence_of("Tuple")
_IF_EXPRESSION = _precedence_of("IfExp")


class _Printer:
    """Source text for a Module or FunctionDef, as astor.to_source gives it
    (before the comment markers are replaced), sharing `comments` with the
    markers of the statements astor prints."""

    def __init__(self, comments: list, lines: dict | None = None,
                 statements: list | None = None):
        self.comments = comments
        # (kind, lineno) of each statement printed, when asked for (to_source).
        self.statements = statements
        # {id(statement): (line, depth)} when asked for (see `place`); the
        # line breaks in `out` up to which `counted` counted them.
        self.lines = lines
        self.counted = (0, 0)
        self.out: list = []
        self.new_lines = 0  # line breaks owed before the next statement (astor's)
        # The text of the comment `simple` just wrote the marker of, which
        # the caller writes in its place when it prints the line itself.
        self.comment: str | None = None
        # One astor generator for the statements handed to astor (by_astor):
        # each holds closures over itself, a cycle only the collector frees
        # (issue #13: 630 of them, 20,000 objects, for a 500-line Hessian).
        self.generator = None

    def source(self, tree) -> str | None:
        """The text, or None for a tree to_source leaves to astor whole."""
        body = tree.body if isinstance(tree, gast.Module) else [tree]
        try:
            self.block(body, 0)
        except _Unsupported:
            return None
        out = self.out
        if out and not out[0].strip("\n"):
            if self.lines:
                dropped = len(out[0])
                for key, (line, depth) in self.lines.items():
                    self.lines[key] = line - dropped, depth
            out[0] = ""  # astor drops the line breaks before the first statement
        return "".join(out) + "\n"

    def place(self, stmt, depth: int) -> None:
        """Note the line `stmt` is about to be written on (after the line
        breaks owed), when asked for the lines."""
        out = self.out
        position, breaks = self.counted
        for index in range(position, len(out)):
            breaks += out[index].count("\n")
        self.counted = len(out), breaks
        self.lines[id(stmt)] = breaks + self.new_lines + 1, depth

    def emit(self, text: str) -> None:
        if self.new_lines:
            self.out.append("\n" * self.new_lines)
            self.new_lines = 0
        self.out.append(text)

    def block(self, stmts: list, depth: int) -> None:
        indent = _INDENT * depth
        out = self.out
        for stmt in stmts:
            kind = stmt.__class__
            if kind is gast.FunctionDef:
                self.function_def(stmt, depth)
                continue
            if self.new_lines < 1:
                self.new_lines = 1
            if kind in _COMPOUND:
                self.compound(stmt, depth)
                continue
            # Any other statement: its line, or astor's text for it.
            try:
                text = indent + self.simple(stmt)
            except _Unsupported:
                text = None
            comment, self.comment = self.comment, None
            if text is None or len(text) > _MAX_LINE:
                self.astor_statement(stmt, depth)
                continue
            if self.statements is not None and comment is None and \
                    not (kind is gast.Expr and nodes.is_comment(stmt)):
                self.statements.append((kind.__name__, getattr(stmt, "lineno", None)))
            if comment is not None:
                # The line _with_comments would put for the marker: the
                # marker fits, and no line break hides in the text.
                text = f"{indent}# {comment}"
            if self.lines is not None:
                self.place(stmt, depth)
            out.append("\n" * self.new_lines)
            out.append(text)
            self.new_lines = 0

    def function_def(self, stmt, depth: int) -> None:
        """astor's `def` line (it wraps a long one: the scope function of
        codegen.py takes every helper as a parameter), then the body."""
        if stmt.decorator_list:
            self.astor_statement(stmt, depth)
            return
        # astor.code_gen's decorators(): a blank line before a nested def, two
        # at the top level.
        self.new_lines = max(self.new_lines, 2 if depth else 3)
        parameters = _plain_parameters(stmt) if stmt.returns is None else None
        text = None if parameters is None else f"{_INDENT * depth}def {stmt.name}({parameters}):"
        if self.statements is not None:
            self.statements.append(("FunctionDef", getattr(stmt, "lineno", None)))
        if text is None or len(text) > _MAX_LINE:
            header = gast.FunctionDef(name=stmt.name, args=stmt.args, body=[],
                                      decorator_list=[], returns=stmt.returns,
                                      type_comment=None, type_params=[])
            text = self.by_astor(header, depth)[1]
        if self.lines is not None:
            self.place(stmt, depth)
        self.emit(text)
        self.block(stmt.body, depth + 1)
        if not depth:
            self.new_lines = max(self.new_lines, 3)

    def compound(self, stmt, depth: int) -> bool:
        """Print `stmt` if it is a branch or loop; False if it is not."""
        kind = stmt.__class__
        if kind not in (gast.If, gast.For, gast.While):
            return False
        indent = _INDENT * depth
        # Every line of its own (`if`, each `elif`, `else`) is checked before
        # any is written: astor prints the statement whole if one is not ours.
        try:
            if kind is gast.For:
                headers = [f"{indent}for {self.expression(stmt.target, _FOR)} in "
                           f"{self.expression(stmt.iter, _HIGHEST)}:"]
            else:
                word = "if" if kind is gast.If else "while"
                headers = [f"{indent}{word} "
                           f"{self.expression(stmt.test, _STATEMENT_PRECEDENCE[kind])}:"]
            bodies = [stmt.body]
            orelse = stmt.orelse
            while kind is gast.If and len(orelse) == 1 and orelse[0].__class__ is gast.If:
                headers.append(f"{indent}elif {self.expression(orelse[0].test, _IF)}:")
                bodies.append(orelse[0].body)
                orelse = orelse[0].orelse
        except _Unsupported:
            headers = None
        if headers is None or any(len(header) > _MAX_LINE for header in headers):
            self.astor_statement(stmt, depth)
            return True
        branch = stmt
        for header, body in zip(headers, bodies):
            self.new_lines = max(self.new_lines, 1)
            if self.lines is not None:
                self.place(branch, depth)  # the `if`, then each `elif`'s If
            if self.statements is not None:
                self.statements.append((kind.__name__, getattr(branch, "lineno", None)))
            branch = branch.orelse[0] if branch.orelse else None
            self.emit(header)
            self.block(body, depth + 1)
        if orelse:
            self.new_lines = max(self.new_lines, 1)
            self.emit(indent + "else:")
            self.block(orelse, depth + 1)
        return True

    def astor_statement(self, stmt, depth: int) -> None:
        """Print `stmt` as astor does, with the blank lines it puts around it
        (around a class, say)."""
        before, text, after = self.by_astor(stmt, depth)
        self.new_lines = max(self.new_lines, before)
        if self.statements is not None:
            self.statements.extend(_kinds_and_lines(stmt))
        if self.lines is not None:
            # (Statements inside one astor prints are not placed: a tree
            # holding one has no line map, see to_source.)
            self.place(stmt, depth)
        self.emit(text)
        self.new_lines = after

    def by_astor(self, stmt, depth: int) -> tuple[int, str, int]:
        """(line breaks astor puts before `stmt`, astor's text for it at `depth`,
        wrapped as astor wraps it, line breaks astor owes after it)."""
        generator = self.generator
        if generator is None:
            generator = self.generator = astor.code_gen.SourceGenerator(_INDENT)
        else:
            # As a new one starts (SourceGenerator.__init__): its closures
            # hold the result list itself, which is emptied, not replaced.
            del generator.result[:]
            generator.new_lines = 0
            generator.colinfo = 0, 0
            vars(generator).pop("using_unicode_literals", None)
        generator.indentation = depth
        generator.visit(_printable(stmt, self.comments))
        fragments = generator.result
        before = 0
        if fragments and not fragments[0].strip("\n"):
            before = len(fragments[0])
            fragments = fragments[1:]
        # The closing line break makes split_lines take the last line too.
        text = "".join(astor.source_repr.split_lines(fragments + ["\n"]))[:-1]
        return before, text, generator.new_lines

    # -- statements and expressions: astor's text, or _Unsupported ----------------
    def simple(self, stmt) -> str:
        kind = stmt.__class__
        if kind is gast.Assign:
            targets, value = stmt.targets, stmt.value
            if len(targets) == 1:
                target = targets[0]
                text = target.id if target.__class__ is gast.Name \
                    else self.expression(target, _ASSIGN)
            else:
                text = " = ".join(self.expression(t, _ASSIGN) for t in targets)
            return f"{text} = " + (value.id if value.__class__ is gast.Name
                                   else self.expression(value, _ASSIGN))
        if kind is gast.Expr:
            value = stmt.value
            if value.__class__ is gast.Constant and isinstance(value.value, str) and \
                    value.value.startswith(nodes.COMMENT_MARK):
                text = value.value[len(nodes.COMMENT_MARK):]
                if text.isprintable():
                    # Written as the comment itself if the caller prints the
                    # marker's line (_with_comments would put the text there).
                    self.comment = text
                    return f"'\\x00adcomment:{len(self.comments)}'"
                # What astor prints for _expr's marker: the text is put back
                # by to_source, as for the markers astor prints.
                self.comments.append(text)
                return f"'\\x00adcomment:{len(self.comments) - 1}'"
            return self.expression(value, _EXPR)
        if kind is gast.Return:
            return "return" if stmt.value is None else \
                "return " + self.expression(stmt.value, _RETURN)
        if kind is gast.AugAssign:
            symbol = _OPERATORS[stmt.op.__class__][0]
            return f"{self.expression(stmt.target, _AUG_ASSIGN)} {symbol}= " \
                f"{self.expression(stmt.value, _AUG_ASSIGN)}"
        if kind is gast.Pass:
            return "pass"
        if kind is gast.Break:
            return "break"
        if kind is gast.Continue:
            return "continue"
        raise _Unsupported

    def expression(self, node, parent: int) -> str:
        """`node`'s text where its parent gives it precedence `parent` (astor's
        set_precedence; Precedence.highest where the parent sets none)."""
        kind = node.__class__
        if kind is gast.Name:
            return node.id
        if kind is gast.Constant:
            return self.constant(node.value, parent)
        if kind is gast.Attribute:
            return f"{self.expression(node.value, _HIGHEST)}.{node.attr}"
        if kind is gast.Call:
            return self.call(node)
        if kind is gast.BinOp:
            op, left, right = node.op.__class__, node.left, node.right
            symbol, own = _OPERATORS[op]
            if op is gast.Pow:
                text = f"{self.expression(left, _POW + 1)} ** " \
                    f"{self.expression(right, _POW_RIGHT)}"
            else:
                # (A name is its text at any precedence.)
                name = gast.Name
                text = (left.id if left.__class__ is name else self.expression(left, own)) + \
                    f" {symbol} " + (right.id if right.__class__ is name
                                     else self.expression(right, own + 1))
            return text if own >= parent else f"({text})"
        if kind is gast.Subscript:
            return f"{self.expression(node.value, _HIGHEST)}[" \
                f"{self.expression(node.slice, _SUBSCRIPT)}]"
        if kind is gast.UnaryOp:
            symbol, own = _OPERATORS[node.op.__class__]
            operand = self.expression(node.operand, own)
            text = f"{symbol} {operand}" if symbol.isalpha() else symbol + operand
            return text if own >= parent else f"({text})"
        if kind is gast.Tuple:
            elements = node.elts
            text = ", ".join(self.expression(e, _COMMA) for e in elements)
            if len(elements) == 1:
                text += ","
            return text if elements and _TUPLE >= parent else f"({text})"
        if kind is gast.List:
            return "[" + ", ".join(self.expression(e, _COMMA) for e in node.elts) + "]"
        if kind is gast.Slice:
            text = "" if node.lower is None else self.expression(node.lower, _SLICE)
            text += ":"
            if node.upper is not None:
                text += self.expression(node.upper, _SLICE)
            if node.step is not None:
                text += ":"
                if not (node.step.__class__ is gast.Name and node.step.id == "None"):
                    text += self.expression(node.step, _SLICE)
            return text
        if kind is gast.Compare:
            symbol, own = _OPERATORS[node.ops[0].__class__]
            text = self.expression(node.left, own + 1)
            for op, right in zip(node.ops, node.comparators):
                text += f" {_OPERATORS[op.__class__][0]} {self.expression(right, own + 1)}"
            return text if own >= parent else f"({text})"
        if kind is gast.BoolOp:
            symbol, own = _OPERATORS[node.op.__class__]
            text = f" {symbol} ".join(self.expression(v, own + 1) for v in node.values)
            return text if own >= parent else f"({text})"
        if kind is gast.IfExp:
            text = f"{self.expression(node.body, _IF_EXPRESSION + 1)} if " \
                f"{self.expression(node.test, _IF_EXPRESSION + 1)} else " \
                f"{self.expression(node.orelse, _IF_EXPRESSION)}"
            return text if _IF_EXPRESSION >= parent else f"({text})"
        if kind is gast.Starred:
            return "*" + self.expression(node.value, _HIGHEST)
        raise _Unsupported

    def call(self, node) -> str:
        args, keywords = node.args, node.keywords
        own = _COMMA if len(args) + len(keywords) > 1 else _ONE_ARGUMENT
        name = gast.Name
        parts = [a.id if a.__class__ is name else self.expression(a, own) for a in args]
        for keyword in keywords:
            value = self.expression(keyword.value, _COMMA)
            parts.append(f"{keyword.arg}={value}" if keyword.arg else "**" + value)
        return f"{self.expression(node.func, _HIGHEST)}({', '.join(parts)})"

    @staticmethod
    def constant(value, parent: int) -> str:
        """Numbers, booleans and None; a string is astor's (its quotes depend
        on the line), and so are complex numbers and NumPy scalars."""
        kind = value.__class__
        if value is None:
            return "None"
        if kind is bool:
            text = repr(value)
        elif kind is int:
            if value < 0:
                # _printable writes a negative number as a unary minus.
                return _Printer.negative(repr(-value), parent)
            text = repr(value)
        elif kind is float:
            if math.isnan(value):
                text = "(1e1000-1e1000)"
            elif value < 0 or (value == 0 and math.copysign(1.0, value) < 0):
                return _Printer.negative(_Printer.constant(-value, _USUB), parent)
            else:
                text = "1e1000" if math.isinf(value) else repr(value)
        else:
            raise _Unsupported
        return text if _CONSTANT >= parent else f"({text})"

    @staticmethod
    def negative(operand: str, parent: int) -> str:
        return "-" + operand if _USUB >= parent else f"(-{operand})"


def _plain_parameters(function: gast.FunctionDef) -> str | None:
    """The text astor writes between a `def`'s parentheses when its
    parameters are names without annotations or defaults, then perhaps
    `*args` (those of generated functions); None for any other."""
    args = function.args
    if args.posonlyargs or args.kwonlyargs or args.kwarg is not None or args.defaults or \
            args.kw_defaults:
        return None
    names = []
    for arg in args.args:
        if arg.__class__ is not gast.Name or arg.annotation is not None:
            return None
        names.append(arg.id)
    vararg = args.vararg
    if vararg is not None:
        if vararg.__class__ is not gast.Name or vararg.annotation is not None:
            return None
        names.append("*" + vararg.id)
    return ", ".join(names)


_ASSIGN = _STATEMENT_PRECEDENCE[gast.Assign]
_AUG_ASSIGN = _STATEMENT_PRECEDENCE[gast.AugAssign]
_EXPR = _STATEMENT_PRECEDENCE[gast.Expr]
_RETURN = _STATEMENT_PRECEDENCE[gast.Return]
_IF = _STATEMENT_PRECEDENCE[gast.If]
_FOR = _STATEMENT_PRECEDENCE[gast.For]
_USUB = _OPERATORS[gast.USub][1]
