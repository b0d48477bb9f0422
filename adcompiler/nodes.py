"""The one place that builds gast nodes.

gast's constructors take every field positionally-or-by-keyword and their
field lists change between releases; keeping construction here means a gast
upgrade touches one file. Also home to tiny queries every pass needs.
"""

from __future__ import annotations

import ast
import collections
import copy

import gast


def name(id: str, ctx: str = "load") -> gast.Name:
    node = _NAME.__new__(_NAME)
    fields = node.__dict__
    context = _CONTEXTS[ctx]
    fields["id"] = id
    fields["ctx"] = context.__new__(context)
    fields["annotation"] = None
    fields["type_comment"] = None
    return node


# name() above and the builders below make the node gast's constructor
# makes (its fields put in its __dict__, in the same order) without calling
# it: gast's __init__ takes *args and **kwargs, and a compilation builds tens
# of thousands of nodes (made so, a Name takes a third of the time: issue #13).
_NAME = gast.Name
_CONTEXTS = {"load": gast.Load, "store": gast.Store, "param": gast.Param, "del": gast.Del}
_LOAD = gast.Load


def parse_module(text: str) -> gast.Module:
    """`gast.parse(text)`: the same tree (node types, fields and their order,
    positions), converted from Python's `ast` by a function per node type
    instead of gast's NodeTransformer (a method lookup, a dict of fields and
    a call per node): 110 -> 68 ms for a 500-line function's gradient, which
    a Hessian parses back (issue #13; the conversion was two thirds of
    parsing). The node types gast converts specially are converted as it
    does; with another gast or Python than those compared (`_FAST_PARSE`),
    gast parses.

        >>> gast.dump(parse_module("y = x")) == gast.dump(gast.parse("y = x"))
        True
    """
    if not _FAST_PARSE:
        return gast.parse(text)
    return _to_gast(ast.parse(text))


def from_ast(module: ast.Module) -> gast.Module:
    """`parse_module(text)` given `ast.parse(text)`."""
    return _to_gast(module) if _FAST_PARSE else gast.ast_to_gast(module)


_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def _to_gast(node):
    convert = _CONVERTERS.get(node.__class__)
    if convert is None:
        convert = _CONVERTERS[node.__class__] = _converter(node.__class__)
    return convert(node)


def _to_gast_value(value):
    if isinstance(value, ast.AST):
        return _to_gast(value)
    if value.__class__ is list:
        return [_to_gast_value(item) for item in value]
    return value


def _converter(kind: type):
    """A function converting one `ast` node of type `kind` as gast's
    Ast3ToGAst does on Python 3.8-3.11 (`_FAST_PARSE` checks that its
    special cases are the ones below)."""
    special = _SPECIAL_CONVERSIONS.get(kind.__name__)
    if special is not None:
        return special
    target = getattr(gast, kind.__name__, None)
    if target is None:
        return lambda node: None  # not part of gast's tree (gast drops it too)
    return _generic_converter(kind, target)


def _generic_converter(kind: type, target: type):
    fields, attributes = kind._fields, kind._attributes
    missing = object()

    def convert(node):
        # gast's generic_visit: target(**{field: converted value}) for the
        # fields the node has, then the position attributes it has.
        new = target.__new__(target)
        values = new.__dict__
        for field in fields:
            value = getattr(node, field, missing)
            if value is missing:
                continue
            if isinstance(value, ast.AST):
                value = _to_gast(value)
            elif value.__class__ is list:
                value = [_to_gast(item) if isinstance(item, ast.AST) else _to_gast_value(item)
                         for item in value]
            values[field] = value
        for attribute in attributes:
            value = getattr(node, attribute, missing)
            if value is not missing:
                values[attribute] = value
        return new
    return convert


def _positional(kind: type, *values):
    """`kind(*values)` as gast's constructor builds it: the fields in order."""
    new = kind.__new__(kind)
    new.__dict__.update(zip(kind._fields, values))
    return new


def _gast_copy_location(new, old):
    for attribute in _LOCATION:
        if attribute in old._attributes and attribute in new._attributes and \
                hasattr(old, attribute):
            setattr(new, attribute, getattr(old, attribute))
    return new


def _name(node):
    # What ast.copy_location(Name(id, ctx, None, None), node) makes (a third
    # of the nodes parsed: issue #13): a position given, and the end
    # positions even when None (ast.Name's class default).
    new = _NAME.__new__(_NAME)
    values = new.__dict__
    values["id"] = node.id
    values["ctx"] = _to_gast(node.ctx)
    values["annotation"] = None
    values["type_comment"] = None
    lineno, col_offset = getattr(node, "lineno", None), getattr(node, "col_offset", None)
    if lineno is not None:
        values["lineno"] = lineno
    if col_offset is not None:
        values["col_offset"] = col_offset
    values["end_lineno"] = getattr(node, "end_lineno", None)
    values["end_col_offset"] = getattr(node, "end_col_offset", None)
    return new


def _arg(node):
    return ast.copy_location(_positional(gast.Name, node.arg, gast.Param(),
                                         _to_gast_value(node.annotation),
                                         _to_gast_value(node.type_comment)), node)


def _except_handler(node):
    if not node.name:
        return _GENERIC_EXCEPT_HANDLER(node)
    return ast.copy_location(_positional(
        gast.ExceptHandler, _to_gast_value(node.type),
        _positional(gast.Name, node.name, gast.Store(), None, None),
        _to_gast_value(node.body)), node)


def _function_def(node):
    kind = getattr(gast, node.__class__.__name__)
    return _gast_copy_location(_positional(
        kind, node.name, _to_gast_value(node.args), _to_gast_value(node.body),
        _to_gast_value(node.decorator_list), _to_gast_value(node.returns),
        _to_gast_value(node.type_comment), []), node)


def _class_def(node):
    return _gast_copy_location(_positional(
        gast.ClassDef, node.name, _to_gast_value(node.bases), _to_gast_value(node.keywords),
        _to_gast_value(node.body), _to_gast_value(node.decorator_list), []), node)


_SPECIAL_CONVERSIONS = {"Name": _name, "arg": _arg, "ExceptHandler": _except_handler,
                        "FunctionDef": _function_def, "AsyncFunctionDef": _function_def,
                        "ClassDef": _class_def}


def _fast_parse_applies() -> bool:
    """Whether gast's own conversion, on this Python, is the generic one but
    for exactly the node types converted specially above."""
    import sys
    from importlib import metadata
    from gast.ast3 import Ast3ToGAst
    try:
        version = metadata.version("gast")
    except metadata.PackageNotFoundError:
        return False
    own = {name for name in vars(Ast3ToGAst) if name.startswith("visit_")}
    # The versions whose conversion was compared node for node (tests/test_printer.py;
    # also 452 files: the package, its tests, the standard library's top-level
    # modules, numpy.core, generated gradients and Hessians).
    return version == "0.7.0" and (3, 10) <= sys.version_info[:2] < (3, 12) and \
        own == {f"visit_{name}" for name in _SPECIAL_CONVERSIONS}


_CONVERTERS: dict = {}
_FAST_PARSE = _fast_parse_applies()
_GENERIC_EXCEPT_HANDLER = _generic_converter(ast.ExceptHandler, gast.ExceptHandler)


def const(value) -> gast.Constant:
    node = _CONSTANT.__new__(_CONSTANT)
    fields = node.__dict__
    fields["value"] = value
    fields["kind"] = None
    return node


_CONSTANT = gast.Constant


def assign(target: str | gast.AST, value: gast.AST) -> gast.Assign:
    if isinstance(target, str):
        target = name(target, "store")
    node = _ASSIGN.__new__(_ASSIGN)
    fields = node.__dict__
    fields["targets"] = [target]
    fields["value"] = value
    fields["type_comment"] = None
    return node


_ASSIGN = gast.Assign


def expr_stmt(value: gast.AST) -> gast.Expr:
    node = _EXPR.__new__(_EXPR)
    node.__dict__["value"] = value
    return node


_EXPR = gast.Expr


def call(func: str | gast.AST, args=(), keywords=None) -> gast.Call:
    if isinstance(func, str):
        func = dotted(func)
    kws = [gast.keyword(arg=k, value=v) for k, v in keywords.items()] if keywords else []
    node = _CALL.__new__(_CALL)
    fields = node.__dict__
    fields["func"] = func
    fields["args"] = list(args)
    fields["keywords"] = kws
    return node


_CALL = gast.Call


def attribute(value: gast.AST, attr: str) -> gast.Attribute:
    return _read_from(gast.Attribute, value, "attr", attr)


def _read_from(kind: type, value: gast.AST, field: str, item) -> gast.AST:
    """`kind(value=value, <field>=item, ctx=Load())`: an Attribute or a Subscript."""
    node = kind.__new__(kind)
    fields = node.__dict__
    fields["value"] = value
    fields[field] = item
    fields["ctx"] = _LOAD.__new__(_LOAD)
    return node


def dotted(path: str) -> gast.AST:
    """`'np.linalg.norm'` -> Attribute(Attribute(Name('np'), 'linalg'), 'norm')."""
    head, *rest = path.split(".")
    node: gast.AST = name(head)
    for part in rest:
        node = attribute(node, part)
    return node


def binop(left: gast.AST, op: gast.AST, right: gast.AST) -> gast.BinOp:
    node = _BINOP.__new__(_BINOP)
    fields = node.__dict__
    fields["left"] = left
    fields["op"] = op
    fields["right"] = right
    return node


_BINOP = gast.BinOp


def add(left, right):
    return binop(left, gast.Add(), right)


def starred(value: gast.AST) -> gast.Starred:
    return gast.Starred(value=value, ctx=gast.Load())


def compare(left: gast.AST, op: gast.AST, right: gast.AST) -> gast.Compare:
    return gast.Compare(left=left, ops=[op], comparators=[right])


def subscript(value: gast.AST, index: gast.AST) -> gast.Subscript:
    return _read_from(gast.Subscript, value, "slice", index)


def slice_(lower=None, upper=None, step=None) -> gast.Slice:
    return gast.Slice(lower=lower, upper=upper, step=step)


def unary_not(operand: gast.AST) -> gast.UnaryOp:
    return gast.UnaryOp(op=gast.Not(), operand=operand)


def tuple_(elts, ctx: str = "load") -> gast.Tuple:
    return gast.Tuple(elts=list(elts), ctx=gast.Store() if ctx == "store" else gast.Load())


def if_(test, body, orelse=()) -> gast.If:
    return gast.If(test=test, body=list(body) or [gast.Pass()], orelse=list(orelse))


def while_(test, body) -> gast.While:
    return gast.While(test=test, body=list(body) or [gast.Pass()], orelse=[])


def for_(target: str | gast.AST, iter_: gast.AST, body) -> gast.For:
    if isinstance(target, str):
        target = name(target, "store")
    return gast.For(target=target, iter=iter_, body=list(body) or [gast.Pass()],
                    orelse=[], type_comment=None)


def list_(elts=()) -> gast.List:
    return gast.List(elts=list(elts), ctx=gast.Load())


def return_(value: gast.AST | None) -> gast.Return:
    return gast.Return(value=value)


def raise_(exception: gast.AST) -> gast.Raise:
    return gast.Raise(exc=exception, cause=None)


def comment(text: str) -> gast.Expr:
    """A statement the printer turns into a `# text` line (ASTs carry no comments)."""
    return expr_stmt(const(COMMENT_MARK + text))


COMMENT_MARK = "\x00adcomment:"


def is_comment(stmt: gast.AST) -> bool:
    return (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
            and isinstance(stmt.value.value, str) and stmt.value.value.startswith(COMMENT_MARK))


def function_def(fn_name: str, params, body, docstring: str | None = None,
                 vararg: str | None = None) -> gast.FunctionDef:
    args = gast.arguments(
        args=[name(p, "param") for p in params], posonlyargs=[],
        vararg=None if vararg is None else name(vararg, "param"), kwonlyargs=[],
        kw_defaults=[], kwarg=None, defaults=[])
    stmts = list(body)
    if docstring:
        stmts.insert(0, gast.Expr(value=const(docstring)))
    return gast.FunctionDef(name=fn_name, args=args, body=stmts, decorator_list=[],
                            returns=None, type_comment=None, type_params=[])


def module(body) -> gast.Module:
    return gast.Module(body=list(body), type_ignores=[])


def parse_expr(text: str) -> gast.AST:
    return gast.parse(text, mode="eval").body


class _Annotations(dict):
    """Per-node facts from analyses. Copies of a tree share them: the objects
    recorded (modules, functions) cannot and need not be deep-copied."""

    def __deepcopy__(self, memo):
        return _Annotations(self)


def annotate(node: gast.AST, key: str, value) -> None:
    if not isinstance(getattr(node, "ad_anno", None), _Annotations):
        node.ad_anno = _Annotations()
    node.ad_anno[key] = value


def annotation(node: gast.AST, key: str, default=None):
    return getattr(node, "ad_anno", _NO_ANNOTATIONS).get(key, default)


_NO_ANNOTATIONS: dict = {}  # read only


def is_atom(node: gast.AST) -> bool:
    """A name, a constant, or a tuple of constants such as a literal shape."""
    if isinstance(node, gast.Tuple):
        return all(isinstance(e, gast.Constant) for e in node.elts)
    return isinstance(node, (gast.Name, gast.Constant))


def clone(node):
    """Deep copy of a tree, sharing nothing mutable with the original.

    What `copy.deepcopy` gives, several times faster (compilers clone often):
    nodes, lists and annotations are copied here, values that cannot change
    (names, numbers, strings) are shared, and anything else is deep-copied."""
    return _clone(node, {})


def clone_value(value, memo: dict):
    """`clone` of a node's attribute, sharing `memo` with the copy of the
    rest of its tree (so that what the tree shares stays shared)."""
    return _clone(value, memo)


_IMMUTABLE_TYPES = (str, int, float, complex, bool, bytes, type(None), type(Ellipsis))
_IMMUTABLE = frozenset(_IMMUTABLE_TYPES)  # the types themselves: a set lookup
# The types of the values a copy shares with the original (clone_value
# returns them as they are).
IMMUTABLE = _IMMUTABLE


def _clone(value, memo: dict):
    kind = value.__class__
    if kind in _IMMUTABLE:
        return value
    known = memo.get(id(value))
    if known is not None:
        return known
    if isinstance(value, gast.AST):
        copied = kind.__new__(kind)
        memo[id(value)] = copied
        # The fields and positions of a node are mostly names, numbers and
        # lists of nodes: copied here rather than by a call each (a
        # Hessian's front end clones the gradient's tree, tens of thousands
        # of nodes).
        attributes = {}
        for key, item in value.__dict__.items():
            item_kind = item.__class__
            if item_kind in _IMMUTABLE:
                attributes[key] = item
            elif item_kind is list:
                items = memo.get(id(item))
                if items is None:
                    items = memo[id(item)] = []
                    items.extend([x if x.__class__ in _IMMUTABLE else _clone(x, memo)
                                  for x in item])
                attributes[key] = items
            else:
                attributes[key] = _clone(item, memo)
        copied.__dict__.update(attributes)
    elif kind is list:
        copied = []
        memo[id(value)] = copied
        copied.extend(_clone(item, memo) for item in value)
    elif isinstance(value, _Annotations):
        copied = _Annotations(value)
        memo[id(value)] = copied
    elif isinstance(value, _IMMUTABLE_TYPES):
        return value  # a subclass of one (np.float64, an IntEnum)
    else:
        copied = copy.deepcopy(value, memo)
    return copied


def parameters(function: gast.FunctionDef) -> list[str]:
    """The names a function's parameters bind: the positional ones, then *args."""
    vararg = function.args.vararg
    return [a.id for a in function.args.args] + ([] if vararg is None else [vararg.id])


def call_arguments(call: gast.Call) -> list:
    """The values a call passes: positional ones (the tuple of a starred `*t`),
    then keyword ones."""
    return [a.value if isinstance(a, gast.Starred) else a for a in call.args] + \
        [k.value for k in call.keywords]


def walk(tree: gast.AST):
    """Every node of `tree`, in `gast.walk`'s order (breadth first, a node's
    children queued when it is reached), about twice as fast: no generator
    per node, and the fields that hold names or numbers are not looked at.
    Passes walk whole functions many times, so this is much of their time."""
    todo = collections.deque([tree])
    pop, append, extend = todo.popleft, todo.append, todo.extend
    node_type, name_type, fields_of = gast.AST, _NAME, _CHILD_FIELDS
    while todo:
        node = pop()
        kind = node.__class__
        if kind is name_type:
            # A third of the nodes: its context, then what its `annotation`
            # field holds (a parameter's), as the loop below would queue them.
            value = getattr(node, "ctx", None)
            if isinstance(value, node_type):
                append(value)
            value = getattr(node, "annotation", None)
            if value is not None and isinstance(value, node_type):
                append(value)
            yield node
            continue
        # The commonest kinds, their fields queued as the loop below would
        # (a field missing, as gast's constructors allow: the loop).
        try:
            if kind is _CALL:
                func, args, keywords = node.func, node.args, node.keywords
                if func is not None:
                    append(func)
                    extend(args)
                    extend(keywords)
                    yield node
                    continue
            elif kind is _BINOP:
                left, op, right = node.left, node.op, node.right
                if left is not None and op is not None and right is not None:
                    append(left)
                    append(op)
                    append(right)
                    yield node
                    continue
            elif kind is _ASSIGN:
                targets, value = node.targets, node.value
                if value is not None:
                    extend(targets)
                    append(value)
                    yield node
                    continue
            elif kind is _ATTRIBUTE:
                value, ctx = node.value, node.ctx
                if value is not None and ctx is not None:
                    append(value)
                    append(ctx)
                    yield node
                    continue
        except AttributeError:
            pass
        fields = fields_of.get(kind)
        if fields is None:
            fields = fields_of[kind] = _child_fields(kind)
        for field in fields:
            value = getattr(node, field, None)
            if value is None:
                continue
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
            elif isinstance(value, node_type):
                append(value)
        yield node


def walk_list(tree: gast.AST) -> list:
    """`list(walk(tree))`, built without the generator (issue #13: the census
    of a Hessian's gradient code lists 43,000 nodes at 499 lines, twice).
    A breadth-first walk meets the nodes in the order it queues them: the
    queue, read from its start and never popped, is the list."""
    out = [tree]
    append, extend = out.append, out.extend
    node_type, name_type, fields_of = gast.AST, _NAME, _CHILD_FIELDS
    call_type, binop_type, assign_type, attribute_type = _CALL, _BINOP, _ASSIGN, _ATTRIBUTE
    position = 0
    while position < len(out):
        node = out[position]
        position += 1
        kind = node.__class__
        if kind is name_type:
            value = getattr(node, "ctx", None)
            if isinstance(value, node_type):
                append(value)
            value = getattr(node, "annotation", None)
            if value is not None and isinstance(value, node_type):
                append(value)
            continue
        # The commonest kinds, their fields queued as walk queues them.
        try:
            if kind is call_type:
                func, args, keywords = node.func, node.args, node.keywords
                if func is not None:
                    append(func)
                    extend(args)
                    extend(keywords)
                    continue
            elif kind is binop_type:
                left, op, right = node.left, node.op, node.right
                if left is not None and op is not None and right is not None:
                    append(left)
                    append(op)
                    append(right)
                    continue
            elif kind is assign_type:
                targets, value = node.targets, node.value
                if value is not None:
                    extend(targets)
                    append(value)
                    continue
            elif kind is attribute_type:
                value, ctx = node.value, node.ctx
                if value is not None and ctx is not None:
                    append(value)
                    append(ctx)
                    continue
        except AttributeError:
            pass
        fields = fields_of.get(kind)
        if fields is None:
            fields = fields_of[kind] = _child_fields(kind)
        for field in fields:
            value = getattr(node, field, None)
            if value is None:
                continue
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
            elif isinstance(value, node_type):
                append(value)
    return out


def statements(tree: gast.AST):
    """The nodes of `walk(tree)` that are statements or hold statements: `tree`
    itself, every statement, and the `except` handlers and `case`s between
    them, in `walk`'s order and as lazily (a node's blocks are queued when it
    is reached), without visiting any expression: the passes that look for
    assignments or blocks walk a tenth of the nodes (issue #13).

        >>> [type(n).__name__ for n in statements(parse_expr("lambda: 0"))]
        ['Lambda']
    """
    todo = collections.deque([tree])
    pop, append = todo.popleft, todo.append
    while todo:
        node = pop()
        for field in _BLOCK_FIELDS:
            block = getattr(node, field, None)
            if block.__class__ is list:
                for item in block:
                    if isinstance(item, _HOLDS_STATEMENTS):
                        append(item)
        yield node


def replace_statements(holder: gast.AST, replacement, into_functions: bool = True) -> None:
    r"""Put `replacement(stmt)` (a list of statements) in place of each
    statement of every block of `holder` (bodies, `else` and `finally`
    blocks, `except` handlers' and `case`s' bodies) for which it is not None,
    inner blocks first: a statement replaced has its own blocks rewritten
    already. `into_functions=False` leaves the blocks of functions and classes
    defined inside alone.

        >>> tree = parse_module("if t:\n    a = 1\nb = 2")
        >>> replace_statements(tree, lambda s: [] if isinstance(s, gast.Assign) else None)
        >>> len(tree.body[0].body), len(tree.body)
        (0, 1)
    """
    for field in _BLOCK_FIELDS:
        block = getattr(holder, field, None)
        if block.__class__ is not list:
            continue
        if field in ("handlers", "cases"):
            for item in block:
                replace_statements(item, replacement, into_functions)
            continue
        out = []
        for stmt in block:
            if into_functions or not isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
                replace_statements(stmt, replacement, into_functions)
            replaced = replacement(stmt)
            out.extend([stmt] if replaced is None else replaced)
        setattr(holder, field, out)


def whole_number(node):
    """The int a constant whole number written in the code is (`3`, `-1`), or None.

        >>> whole_number(parse_expr("-2")), whole_number(parse_expr("2.0"))
        (-2, None)
    """
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = whole_number(node.operand)
        return None if inner is None else -inner
    return node.value if isinstance(node, gast.Constant) and type(node.value) is int else None


# The fields that hold lists of statements (or of handlers and cases holding
# them), in the order of `_fields` of every node type that has several.
_BLOCK_FIELDS = ("body", "handlers", "orelse", "finalbody", "cases")
_HOLDS_STATEMENTS = (gast.stmt, gast.excepthandler, gast.match_case) \
    if hasattr(gast, "match_case") else (gast.stmt, gast.excepthandler)


# Fields that hold a string, a number or a flag in every gast node type.
_SCALAR_FIELDS = frozenset({"id", "attr", "arg", "type_comment", "kind", "asname",
                            "module", "level", "conversion", "is_async", "simple", "tag"})
_CHILD_FIELDS: dict = {gast.Constant: ()}


def _child_fields(kind: type) -> tuple:
    return tuple(f for f in kind._fields if f not in _SCALAR_FIELDS)


def name_nodes(tree: gast.AST, calls: list | None = None):
    """Every Name node in `tree`, in no particular order: what `gast.walk`
    finds, several times faster (analyses ask this of every statement).
    With `calls`, the Call nodes met are appended to it as well."""
    stack = [tree]
    pop, append, extend = stack.pop, stack.append, stack.extend
    node_type, name_type, fields_of = gast.AST, gast.Name, _NAME_FIELDS
    call_type, binop_type, assign_type, attribute_type = _CALL, _BINOP, _ASSIGN, _ATTRIBUTE
    while stack:
        node = pop()
        kind = node.__class__
        if kind is name_type:
            yield node
            # (A Name's one field that may hold a node: a parameter's annotation.)
            value = getattr(node, "annotation", None)
            if value is not None and isinstance(value, node_type):
                append(value)
            continue
        if kind is call_type and calls is not None:
            calls.append(node)
        # The commonest kinds, their fields pushed as the loop below would
        # (issue #13: a quarter faster); one missing a field (gast's
        # constructors allow it) goes through the loop.
        try:
            if kind is call_type:
                func, args, keywords = node.func, node.args, node.keywords
                if func is not None:
                    append(func)
                    extend(args)
                    extend(keywords)
                    continue
            elif kind is binop_type:
                left, right = node.left, node.right
                if left is not None and right is not None:
                    append(left)
                    append(right)
                    continue
            elif kind is assign_type:
                targets, value = node.targets, node.value
                if value is not None:
                    extend(targets)
                    append(value)
                    continue
            elif kind is attribute_type:
                value = node.value
                if value is not None:
                    append(value)
                    continue
        except AttributeError:
            pass
        fields = fields_of.get(kind)
        if fields is None:
            fields = fields_of[kind] = _name_fields(kind)
        for field in fields:
            value = getattr(node, field, None)
            if value is None:
                continue
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
            elif isinstance(value, node_type):
                append(value)


# The fields of each node type that may hold a Name: not a context or an
# operator (`op` of BinOp, UnaryOp, BoolOp and AugAssign, Compare's `ops`),
# the only fields holding a node that holds no Name, which a walk for names
# need not visit (issue #13: a fifth of an expression's nodes).
_NAME_FIELDS: dict = {gast.Constant: ()}


def _name_fields(kind: type) -> tuple:
    return tuple(f for f in _child_fields(kind) if f not in ("ctx", "op", "ops"))


_ATTRIBUTE = gast.Attribute


def name_node_list(tree: gast.AST, calls: list | None = None) -> list:
    """`list(name_nodes(tree, calls))`, in its order, built without the
    generator (issue #13: simplify asks it of each statement of a Hessian's
    tangent code, most of them a name bound to a call or an operation of
    names; the name counts, of the whole of each finished function)."""
    found = []
    keep = found.append
    stack = [tree]
    pop, append, extend = stack.pop, stack.append, stack.extend
    node_type, name_type, fields_of = gast.AST, _NAME, _NAME_FIELDS
    call_type, binop_type, assign_type, attribute_type = _CALL, _BINOP, _ASSIGN, _ATTRIBUTE
    while stack:
        node = pop()
        kind = node.__class__
        if kind is name_type:
            keep(node)
            value = getattr(node, "annotation", None)
            if value is not None and isinstance(value, node_type):
                append(value)
            continue
        if kind is call_type and calls is not None:
            calls.append(node)
        # The commonest kinds, their fields pushed as name_nodes pushes them.
        try:
            if kind is call_type:
                func, args, keywords = node.func, node.args, node.keywords
                if func is not None:
                    append(func)
                    extend(args)
                    extend(keywords)
                    continue
            elif kind is binop_type:
                left, right = node.left, node.right
                if left is not None and right is not None:
                    append(left)
                    append(right)
                    continue
            elif kind is assign_type:
                targets, value = node.targets, node.value
                if value is not None:
                    extend(targets)
                    append(value)
                    continue
            elif kind is attribute_type:
                value = node.value
                if value is not None:
                    append(value)
                    continue
        except AttributeError:
            pass
        fields = fields_of.get(kind)
        if fields is None:
            fields = fields_of[kind] = _name_fields(kind)
        for field in fields:
            value = getattr(node, field, None)
            if value is None:
                continue
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
            elif isinstance(value, node_type):
                append(value)
    return found


def name_uses(roots: list) -> tuple[dict, set]:
    """The Name nodes read below `roots` (nodes, lists of nodes, None), by
    name, and the names bound (parameters included): what name_nodes finds
    of each root, sorted by context.

        >>> loads, stores = name_uses([parse_expr("f(a, a)")])
        >>> sorted((k, len(v)) for k, v in loads.items()), stores
        ([('a', 2), ('f', 1)], set())
    """
    loads: dict = {}
    stores: set = set()
    load, store, param = gast.Load, gast.Store, gast.Param
    for root in roots:
        for tree in (root if root.__class__ is list else (root,)):
            if not isinstance(tree, gast.AST):
                continue
            for node in name_node_list(tree):
                role = node.ctx.__class__
                if role is load:
                    read = loads.get(node.id)
                    if read is None:
                        loads[node.id] = [node]
                    else:
                        read.append(node)
                elif role is store or role is param:
                    stores.add(node.id)
    return loads, stores


def names_loaded(node: gast.AST) -> set[str]:
    """The names `node` reads: name_nodes' Load names, collected without its
    generator (issue #13: dead code, aliasing's liveness and simplify ask
    this of every statement of a Hessian's gradient and tangent code, whose
    values are mostly a name, or a call or operation of names)."""
    kind = node.__class__
    if kind is _NAME:
        # (A Name's annotation, a parameter's, holds no Load name in a body.)
        if node.ctx.__class__ is _LOAD and getattr(node, "annotation", None) is None:
            return {node.id}
    elif kind is _CONSTANT:
        return set()
    found = set()
    add = found.add
    stack = [node]
    pop, append, extend = stack.pop, stack.append, stack.extend
    node_type, name_type, load, fields_of = gast.AST, _NAME, _LOAD, _NAME_FIELDS
    call_type, binop_type, assign_type, attribute_type, constant_type = \
        _CALL, _BINOP, _ASSIGN, _ATTRIBUTE, _CONSTANT
    while stack:
        node = pop()
        kind = node.__class__
        if kind is name_type:
            if node.ctx.__class__ is load:
                add(node.id)
            value = getattr(node, "annotation", None)
            if value is not None and isinstance(value, node_type):
                append(value)
            continue
        if kind is constant_type:
            continue
        # The commonest kinds' fields, as name_nodes pushes them.
        try:
            if kind is call_type:
                func, args, keywords = node.func, node.args, node.keywords
                if func is not None:
                    append(func)
                    extend(args)
                    extend(keywords)
                    continue
            elif kind is binop_type:
                left, right = node.left, node.right
                if left is not None and right is not None:
                    append(left)
                    append(right)
                    continue
            elif kind is assign_type:
                targets, value = node.targets, node.value
                if value is not None:
                    extend(targets)
                    append(value)
                    continue
            elif kind is attribute_type:
                value = node.value
                if value is not None:
                    append(value)
                    continue
        except AttributeError:
            pass
        fields = fields_of.get(kind)
        if fields is None:
            fields = fields_of[kind] = _name_fields(kind)
        for field in fields:
            value = getattr(node, field, None)
            if value is None:
                continue
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
            elif isinstance(value, node_type):
                append(value)
    return found


_NAME, _CONSTANT = gast.Name, gast.Constant


def names_stored(node: gast.AST) -> set[str]:
    bound = _BOUND
    return {n.id for n in name_nodes(node) if n.ctx.__class__ in bound}


# The contexts of a name bound (no subclasses: a class test is enough).
_BOUND = (gast.Store, gast.Param)


def names_mutated(node: gast.AST) -> set[str]:
    """Names whose value a statement in `node` may change: those it binds, the
    receivers of its method calls (`hs.append(v)` changes hs), and the bases of
    its subscript and attribute stores. Loop-invariance must ask this, not
    `names_stored`: a list appended to in a loop is never bound there."""
    changed = names_stored(node)
    for n in walk(node):
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                annotation(n.func, "value", None) is None:
            base = n.func.value
        elif isinstance(n, (gast.Subscript, gast.Attribute)) and \
                isinstance(n.ctx, (gast.Store, gast.Del)):
            base = n.value
        else:
            continue
        while isinstance(base, (gast.Subscript, gast.Attribute)):
            base = base.value
        if isinstance(base, gast.Name):
            changed.add(base.id)
    return changed


def list_method(rhs: gast.AST, name: str) -> bool:
    """`L.name(...)` on a local list (the generated code's stack, for one).
    The list machinery's `pop` takes the last entry: `L.pop(i)` is not it."""
    return isinstance(rhs, gast.Call) and isinstance(rhs.func, gast.Attribute) and \
        isinstance(rhs.func.value, gast.Name) and rhs.func.attr == name and \
        annotation(rhs.func, "value", None) is None and \
        (name != "pop" or not (rhs.args or rhs.keywords))


def assignment_counts(tree: gast.AST) -> "collections.Counter":
    """How many times each name is bound in `tree` (parameters included)."""
    counts: dict = {}
    get = counts.get
    store, param = gast.Store, gast.Param
    for node in name_nodes(tree):
        role = node.ctx.__class__
        if role is store or role is param:
            counts[node.id] = get(node.id, 0) + 1
    return collections.Counter(counts)


class NameCounts:
    """How many times each name is read (`loads`) and bound (`stores`,
    parameters included) in a tree, and its calls, from one walk.

    The passes that finish a generated function (shape_reads.py,
    uniform_adjoints.py, simplify.py) each counted these over the whole
    function (issue #13); the first counts and each keeps the counts exact
    as it rewrites, for the next. `matches(tree)` says whether they still
    are (the tests check every pass with it).

        >>> counts = NameCounts(parse_expr("f(a, a)"))
        >>> counts.loads["a"], counts.loads["f"], len(counts.calls)
        (2, 1, 1)
    """

    __slots__ = ("loads", "stores", "calls", "other")

    def __init__(self, tree: gast.AST):
        loaded, bound_names, calls = [], [], []
        other = set()  # the names in another context (`del x`), which no pass changes
        load, bound = gast.Load, (gast.Store, gast.Param)
        read, wrote = loaded.append, bound_names.append
        for node in name_node_list(tree, calls):
            if node.ctx.__class__ is load:
                read(node.id)
            elif isinstance(node.ctx, bound):
                wrote(node.id)
            else:
                other.add(node.id)
        # Counted by Counter's own loop over the names (issue #13: a `+= 1`
        # per name of a Hessian's tangent code, 80,000 names at 499 lines).
        loads, stores = collections.Counter(loaded), collections.Counter(bound_names)
        self.loads, self.stores, self.calls, self.other = loads, stores, calls, other

    def read_instead(self, old: str, new: str) -> None:
        """A read of `old` became a read of `new`."""
        self.loads[old] -= 1
        self.loads[new] += 1

    def matches(self, tree: gast.AST) -> bool:
        """Whether the counts are those of `tree` (names counted zero times
        aside); for tests."""
        fresh = NameCounts(tree)
        return self.other == fresh.other and all(
            {k: v for k, v in mine.items() if v} == {k: v for k, v in theirs.items() if v}
            for mine, theirs in ((self.loads, fresh.loads), (self.stores, fresh.stores)))


def copy_location(new: gast.AST, old: gast.AST) -> gast.AST:
    # (Read from the node's own fields first: the passes call this some
    # 30,000 times a long function. gast's classes give end_lineno and
    # end_col_offset a default, None, which a node without them passes on.)
    values = old.__dict__
    for attr in _LOCATION:
        if attr in values:
            setattr(new, attr, values[attr])
        elif hasattr(old, attr):
            setattr(new, attr, getattr(old, attr))
    return new


def is_none(node) -> bool:
    """The constant None (what generated code pre-binds variables to)."""
    return isinstance(node, gast.Constant) and node.value is None


def located(node: gast.AST, origin: gast.AST) -> gast.AST:
    """Give every new node of `node` the user's position of `origin`, so errors
    and comments in generated code point at the line the node was made from."""
    for child in walk(node):
        if "lineno" in child._attributes and getattr(child, "lineno", None) is None:
            copy_location(child, origin)
    return node


def loop_breaks(body: list, kinds: tuple = (gast.Break, gast.Continue)) -> bool:
    r"""Whether a `break` or `continue` (of `kinds`) of the loop whose body is
    `body` is in it (not one of a loop nested in it).

        >>> loop_breaks(parse_module("if t:\n    break").body)
        True
    """
    for statement in body:
        if isinstance(statement, kinds):
            return True
        if isinstance(statement, (gast.For, gast.While, gast.FunctionDef, gast.ClassDef)):
            continue   # (their own: a nested loop's break leaves only it)
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(statement, field, None)
            if isinstance(inner, list) and loop_breaks(
                    [s for h in inner for s in (h.body if isinstance(h, gast.ExceptHandler)
                                                else [h])], kinds):
                return True
        if any(loop_breaks(case.body, kinds) for case in getattr(statement, "cases", ()) or ()):
            return True   # (a match statement's cases)
    return False
