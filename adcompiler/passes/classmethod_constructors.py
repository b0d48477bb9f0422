"""A class method that builds its object, `return cls(...)`, called on a
class to bind a name: the arguments computed by a local function, then the
construction itself, which local_objects.py models.

Input: a fenced FunctionDef whose comprehensions are lowered (run by
local_objects.py, before it looks for objects). Output: each statement `p =
C.m(a, b)`, where m is a class method of a class C of the function's module
whose every `return` is `cls(...)` (with the same positional count and the
same keyword names each time), becomes

    def poly_from_roots(r1, r2):                    (the method, cls read as C,
        return (np.array([r1 * r2, ...]),)           its returns the arguments)
    p_arguments = poly_from_roots(x[0], x[1])
    p = Poly(p_arguments[0])

which inline_local.py inlines. Python runs the method's body, then C's
__init__ on those arguments: the same order. Any other use of `cls` in the
method than reading one of its attributes (`cls.scale`) or those returns
leaves the call as written (refused where a derivative meets it, as before).
"""

from __future__ import annotations

import dataclasses
import inspect

import gast

from .. import nodes
from ..context import class_lookup
from ..errors import AdError
from ..naming import Namer
from ..source import ParsedFunction, parse_function
from .constructed_receivers import snake
from .fence import fence
from .inline_mutating import _bind_defaults, lower_before_fence
from .lower_comprehensions import lower_comprehensions
from .lower_reduce import lower_reduce
from .resolve import local_names, module_value


def calls_on_classes(parsed: ParsedFunction, calls: list) -> bool:
    """Whether one of `calls` (the function's) is `C.m(...)`, C a global name
    of a class of the function's module: the one look most functions need."""
    module, names = parsed.function.__module__, parsed.function.__globals__
    for call in calls:
        func = call.func
        if type(func) is gast.Attribute and type(func.value) is gast.Name:
            # (the module's dict read directly: a guard records no name looked up)
            value = names.get(func.value.id)
            if isinstance(value, type) and value.__module__ == module:
                return True
    return False


def classmethod_constructors(parsed: ParsedFunction, modelled) -> bool:
    """Write each `p = C.m(...)` of a constructing class method as its
    arguments and the construction (see the module docstring);
    `modelled(cls)` says whether local_objects can model objects of `cls`.
    Returns whether the tree changed."""
    tree = parsed.tree
    caller_locals = local_names(tree)
    found = []
    for stmt in nodes.walk(tree):
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
                isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Call)):
            continue
        bound = module_value(parsed, stmt.value.func, caller_locals)
        cls = getattr(bound, "__self__", None)
        if not (inspect.ismethod(bound) and isinstance(cls, type) and
                cls.__module__ == parsed.function.__module__ and modelled(cls) and
                inspect.isfunction(bound.__func__) and
                bound.__func__.__globals__ is parsed.function.__globals__ and
                not hasattr(bound.__func__, "__wrapped__")):
            continue
        shape = _constructing(bound.__func__, parsed)
        if shape is not None:
            # (The method replaced on the class later: compiled again.)
            class_lookup(cls, stmt.value.func.attr)
            found.append((stmt, bound, shape))
    if not found:
        return False
    namer = parsed.namer()
    definitions, made = [], {}
    replacements = {}
    for stmt, bound, (method, positional, keywords) in found:
        key = (bound.__func__, bound.__self__)
        if key not in made:
            definition = _definition(method, bound, stmt.value.func.value, namer, parsed)
            if definition is None:
                continue
            made[key] = definition.name
            definitions.append(definition)
        target = stmt.targets[0].id
        arguments = namer.fresh(f"{target}_arguments")
        call = nodes.copy_location(gast.Call(func=nodes.copy_location(
            nodes.name(made[key]), stmt.value), args=stmt.value.args,
            keywords=stmt.value.keywords), stmt.value)
        values = [nodes.copy_location(gast.Subscript(
            value=nodes.name(arguments), slice=nodes.const(i), ctx=gast.Load()), stmt)
            for i in range(positional + len(keywords))]
        construction = gast.Call(func=nodes.clone(stmt.value.func.value), args=values[:positional],
                                 keywords=[gast.keyword(arg=k, value=v) for k, v in
                                           zip(keywords, values[positional:])])
        replacements[id(stmt)] = [nodes.located(nodes.assign(arguments, call), stmt),
                                  nodes.located(nodes.assign(target, construction), stmt)]
    if not replacements:
        return False
    tree.body = definitions + _replaced(tree.body, replacements)
    return True


def _replaced(stmts: list, replacements: dict) -> list:
    out = []
    for stmt in stmts:
        if id(stmt) in replacements:
            out += replacements[id(stmt)]
            continue
        for field_name in ("body", "orelse", "finalbody"):
            if isinstance(getattr(stmt, field_name, None), list) and \
                    not isinstance(stmt, gast.FunctionDef):
                setattr(stmt, field_name, _replaced(getattr(stmt, field_name), replacements))
        out.append(stmt)
    return out


def _constructing(function, caller: ParsedFunction):
    """(the method read, fenced and lowered; the number of positional
    arguments and the keyword names of its `cls(...)`), where every return of
    `function` builds `cls(...)` alike and cls is used otherwise only to
    read attributes; else None."""
    try:
        method = parse_function(function)
        tree = nodes.clone(method.tree)
        if not tree.args.args or tree.args.vararg or tree.args.kwarg:
            return None
        method = dataclasses.replace(method, tree=tree)
        tree.decorator_list = []
        lower_before_fence(method, caller)
        fence(method)
    except AdError:   # (no source, syntax the fence refuses: left as written)
        return None
    cls = tree.args.args[0].id
    shapes, returns = set(), 0
    parents = {}
    for node in nodes.walk(tree):
        for child in gast.iter_child_nodes(node):
            parents[id(child)] = node
        if isinstance(node, (gast.FunctionDef, gast.Lambda)) and node is not tree or \
                isinstance(node, (gast.Global, gast.Nonlocal)):
            return None
    for node in nodes.walk(tree):
        if isinstance(node, gast.Return):
            returns += 1
            value = node.value
            if not (isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and
                    value.func.id == cls and
                    not any(isinstance(a, gast.Starred) for a in value.args) and
                    all(k.arg is not None for k in value.keywords)):
                return None
            shapes.add((len(value.args), tuple(k.arg for k in value.keywords)))
        elif isinstance(node, gast.Name) and node.id == cls and node is not tree.args.args[0]:
            parent = parents.get(id(node))
            if isinstance(node.ctx, gast.Load) and (
                    isinstance(parent, gast.Attribute) and isinstance(parent.ctx, gast.Load) or
                    isinstance(parent, gast.Call) and parent.func is node and
                    isinstance(parents.get(id(parent)), gast.Return)):
                continue
            return None
    if len(shapes) != 1 or not returns:
        return None
    lower_reduce(method)
    lower_comprehensions(method)
    positional, keywords = shapes.pop()
    return method, positional, keywords


def _definition(method: ParsedFunction, bound, class_expr, namer: Namer,
                caller: ParsedFunction):
    """The local function computing the method's `cls(...)` arguments, or
    None where its names would read the caller's variables."""
    tree = method.tree
    cls = tree.args.args[0].id
    own = local_names(tree)
    free = nodes.names_loaded(tree) - own
    if free & local_names(caller.tree) or any(
            isinstance(n, gast.Name) and n.id in own for n in nodes.walk(class_expr)):
        return None
    for node in nodes.walk(tree):
        if isinstance(node, gast.Return):
            call = node.value
            node.value = nodes.copy_location(gast.Tuple(
                elts=call.args + [k.value for k in call.keywords], ctx=gast.Load()), call)
    for node in nodes.walk(tree):
        if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name) and \
                node.value.id == cls:
            node.value = nodes.copy_location(nodes.clone(class_expr), node.value)
    tree.args.args = tree.args.args[1:]
    tree.name = namer.fresh(f"{snake(bound.__self__.__name__)}_{bound.__name__.strip('_')}")
    if not _bind_defaults(bound.__func__, tree, caller):
        return None
    return tree
